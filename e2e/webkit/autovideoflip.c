/* Test tooling for the browser tests on WebKitGTK, never shipped: WebKitGTK 2.50 asks GStreamer for an element named
 * "autovideoflip" when it records video, an element GStreamer has only from 1.24 on. Debian 12 has 1.22, where the
 * recording then yields one empty chunk. This plugin registers "autovideoflip" as a bin around "videoflip" (which has
 * had the same "video-direction" property since 1.10), so WebKit's recorder works as it does on newer systems.
 * Built by scripts/test with gcc and Debian's GStreamer development packages; loaded through GST_PLUGIN_PATH. */

#include <gst/gst.h>
#include <gst/video/video.h>

#define SHIM_TYPE (shim_get_type ())
G_DECLARE_FINAL_TYPE (Shim, shim, CANDOR, AUTO_VIDEO_FLIP, GstBin)

struct _Shim
{
  GstBin parent;
  GstElement *flip;
};

G_DEFINE_TYPE (Shim, shim, GST_TYPE_BIN)

enum
{
  PROP_0,
  PROP_VIDEO_DIRECTION
};

static void
shim_set_property (GObject * object, guint id, const GValue * value, GParamSpec * pspec)
{
  Shim *self = (Shim *) object;
  if (id == PROP_VIDEO_DIRECTION)
    g_object_set_property (G_OBJECT (self->flip), "video-direction", value);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
}

static void
shim_get_property (GObject * object, guint id, GValue * value, GParamSpec * pspec)
{
  Shim *self = (Shim *) object;
  if (id == PROP_VIDEO_DIRECTION)
    g_object_get_property (G_OBJECT (self->flip), "video-direction", value);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
}

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

static void
shim_class_init (ShimClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  object_class->set_property = shim_set_property;
  object_class->get_property = shim_get_property;
  g_object_class_install_property (object_class, PROP_VIDEO_DIRECTION,
      g_param_spec_enum ("video-direction", "Video direction", "Video direction: rotation and flipping",
          GST_TYPE_VIDEO_ORIENTATION_METHOD, GST_VIDEO_ORIENTATION_IDENTITY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Video flip (videoflip in a bin)", "Filter/Effect/Video",
      "Stands in for GStreamer 1.24's autovideoflip", "Candor tests");
}

static void
shim_init (Shim * self)
{
  self->flip = gst_element_factory_make ("videoflip", NULL);
  if (!self->flip) {
    g_critical ("videoflip is missing (gstreamer1.0-plugins-good)");
    return;
  }
  gst_bin_add (GST_BIN (self), self->flip);
  GstPad *sink = gst_element_get_static_pad (self->flip, "sink");
  GstPad *src = gst_element_get_static_pad (self->flip, "src");
  gst_element_add_pad (GST_ELEMENT (self), gst_ghost_pad_new ("sink", sink));
  gst_element_add_pad (GST_ELEMENT (self), gst_ghost_pad_new ("src", src));
  gst_object_unref (sink);
  gst_object_unref (src);
}

static gboolean
plugin_init (GstPlugin * plugin)
{
  return gst_element_register (plugin, "autovideoflip", GST_RANK_NONE, SHIM_TYPE);
}

#define PACKAGE "candor-tests"
GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, candorautovideoflip,
    "autovideoflip for GStreamer before 1.24 (test tooling)", plugin_init, "1.0", "LGPL", PACKAGE,
    "https://gstreamer.freedesktop.org/")
