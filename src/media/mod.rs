//! Where recordings are stored: an `object_store` — a local directory by default (`DATA_DIR/media`). Uploads stream
//! into objects without being held in memory; what a candidate sends is recognised by its first bytes, never by
//! what its headers claim.

pub mod webm;

use anyhow::Context;
use bytes::Bytes;
use futures_util::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use std::sync::Arc;

/// Handle to the media store. Cheap to clone.
#[derive(Clone)]
pub struct MediaStore {
    inner: Arc<dyn ObjectStore>,
    /// Bytes buffered before a part is handed to the store (S3 needs ≥ 5 MiB parts; a local file takes any size).
    part_size: usize,
    /// The directory of a local store: ranged reads go to the file directly (see [`MediaStore::read_range`]).
    local_dir: Option<Arc<std::path::PathBuf>>,
}

/// A body at least this large is written in [`LARGE_PART`]s.
const LARGE_BODY: u64 = 32 * 1024 * 1024;
const LARGE_PART: usize = 8 * 1024 * 1024;

/// The containers Candor accepts for a take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// Matroska/WebM (Chrome, Firefox, Edge record this).
    WebM,
    /// ISO base media (Safari records MP4).
    Mp4,
}

impl Container {
    /// How many leading bytes [`Container::sniff`] needs.
    pub const SNIFF_LEN: usize = 12;

    /// Recognises a container by its first bytes: the EBML magic for WebM, an `ftyp` box for MP4.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.len() >= 4 && head[..4] == [0x1A, 0x45, 0xDF, 0xA3] {
            return Some(Container::WebM);
        }
        if head.len() >= 8 && &head[4..8] == b"ftyp" {
            return Some(Container::Mp4);
        }
        None
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Container::WebM => "webm",
            Container::Mp4 => "mp4",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Container::WebM => "video/webm",
            Container::Mp4 => "video/mp4",
        }
    }
}

/// How a streamed write ended.
#[derive(Debug)]
pub enum WriteEnd {
    /// The whole body arrived and is stored.
    Done,
    /// The body broke off (the connection dropped): what arrived before is stored.
    BrokenOff,
}

/// Why a streamed write stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("more bytes than allowed")]
    TooLarge,
    #[error("not a WebM or MP4 recording")]
    NotMedia,
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

impl MediaStore {
    /// Media in a local directory (created when missing).
    pub fn local(dir: &std::path::Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true);
        // Small parts: a PATCH's bytes reach the file as they arrive instead of waiting in memory.
        Ok(Self { inner: Arc::new(fs), part_size: 256 * 1024, local_dir: Some(Arc::new(dir.canonicalize()?)) })
    }

    /// The media store a configuration names: `CANDOR_MEDIA_URL`, or the local directory `DATA_DIR/media`.
    pub fn from_config(config: &crate::Config) -> anyhow::Result<Self> {
        match &config.media_url {
            None => Self::local(&config.data_dir.join("media")),
            Some(url) => Self::s3(url),
        }
    }

    /// An S3-compatible bucket: `s3://bucket[/prefix]?endpoint=http://host:port&region=…` (path-style requests;
    /// plain http only when the endpoint says so). Credentials come from `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY` (or `access_key_id`/`secret_access_key` in the query, for tests).
    pub fn s3(url: &str) -> anyhow::Result<Self> {
        use object_store::aws::AmazonS3Builder;
        crate::install_tls_provider();
        let u = url::Url::parse(url).context("CANDOR_MEDIA_URL is not a URL")?;
        anyhow::ensure!(u.scheme() == "s3", "CANDOR_MEDIA_URL must be s3://bucket[/prefix]?endpoint=…");
        let bucket = u.host_str().context("CANDOR_MEDIA_URL names no bucket")?.to_owned();
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket).with_virtual_hosted_style_request(false);
        for (k, v) in u.query_pairs() {
            builder = match k.as_ref() {
                "endpoint" => builder.with_allow_http(v.starts_with("http://")).with_endpoint(v.as_ref()),
                "region" => builder.with_region(v.as_ref()),
                "access_key_id" => builder.with_access_key_id(v.as_ref()),
                "secret_access_key" => builder.with_secret_access_key(v.as_ref()),
                other => anyhow::bail!("CANDOR_MEDIA_URL: unknown setting {other:?}"),
            };
        }
        let store: Arc<dyn ObjectStore> = Arc::new(builder.build()?);
        let prefix = u.path().trim_matches('/');
        let inner: Arc<dyn ObjectStore> =
            if prefix.is_empty() { store } else { Arc::new(object_store::prefix::PrefixStore::new(store, prefix)) };
        // S3 takes parts of at least 5 MiB (but the last).
        Ok(Self { inner, part_size: 5 * 1024 * 1024, local_dir: None })
    }

    /// Streams `body` into a new object at `key`, stopping at `max_len` bytes (then nothing is stored:
    /// `TooLarge`). With `sniff`, the first bytes must be WebM or MP4 (else nothing is stored: `NotMedia`) and the
    /// container is returned. A body that breaks off keeps what arrived. Returns the stored length.
    /// `expected`: the body's announced length, if any — a large body is written in larger parts.
    pub async fn write_stream<S, E>(
        &self,
        key: &str,
        mut body: S,
        max_len: u64,
        sniff: bool,
        expected: Option<u64>,
    ) -> Result<(u64, Option<Container>, WriteEnd), WriteError>
    where
        S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let path = ObjectPath::from(key);
        // Small bodies (a recorder's chunks) reach the store in small parts, so little waits in memory per request;
        // a large one (a whole file) in larger parts, written several at a time.
        let (part_size, in_flight) = match expected {
            Some(n) if n >= LARGE_BODY => (self.part_size.max(LARGE_PART), 4),
            _ => (self.part_size, 2),
        };
        let mut head: Vec<u8> = Vec::new();
        let mut container = None;
        let mut writer: Option<WriteMultipart> = None;
        let mut written: u64 = 0;
        let mut end = WriteEnd::Done;
        loop {
            let chunk = match body.next().await {
                Some(Ok(c)) => c,
                Some(Err(e)) => {
                    tracing::info!(error = %e, key, "upload body broke off; keeping what arrived");
                    end = WriteEnd::BrokenOff;
                    break;
                }
                None => break,
            };
            if written + head.len() as u64 + chunk.len() as u64 > max_len {
                if let Some(w) = writer.take() {
                    let _ = w.abort().await;
                }
                return Err(WriteError::TooLarge);
            }
            let chunk = if sniff && container.is_none() {
                head.extend_from_slice(&chunk);
                if head.len() < Container::SNIFF_LEN {
                    continue;
                }
                container = Some(Container::sniff(&head).ok_or(WriteError::NotMedia)?);
                Bytes::from(std::mem::take(&mut head))
            } else {
                chunk
            };
            let w = match writer.as_mut() {
                Some(w) => w,
                None => {
                    let upload = self.inner.put_multipart(&path).await.map_err(anyhow::Error::from)?;
                    writer.insert(WriteMultipart::new_with_chunk_size(upload, part_size))
                }
            };
            w.wait_for_capacity(in_flight).await.map_err(anyhow::Error::from)?;
            written += chunk.len() as u64;
            w.put(chunk);
        }
        if !head.is_empty() {
            // Fewer bytes than the sniff needs arrived in all.
            if matches!(end, WriteEnd::Done) {
                container = Some(Container::sniff(&head).ok_or(WriteError::NotMedia)?);
            } else {
                // Broken off before the container could be told: store nothing.
                head.clear();
            }
            if !head.is_empty() {
                let upload = self.inner.put_multipart(&path).await.map_err(anyhow::Error::from)?;
                let w = writer.insert(WriteMultipart::new_with_chunk_size(upload, part_size));
                written += head.len() as u64;
                w.put(Bytes::from(head));
            }
        }
        if let Some(w) = writer {
            w.finish().await.map_err(anyhow::Error::from)?;
        }
        Ok((written, container, end))
    }

    /// Bytes `start..end` of an object. Players read media this way, range by range: from a local directory the
    /// file is read straight into the buffer that is sent (object_store's local reader zero-fills its buffer first,
    /// a third pass over every byte served).
    pub async fn read_range(&self, key: &str, start: u64, end: u64) -> anyhow::Result<Bytes> {
        let Some(dir) = &self.local_dir else {
            return Ok(self.inner.get_range(&ObjectPath::from(key), start..end).await?);
        };
        // Keys are Candor's own (`takes/<id>/<id>/<name>`); anything that could leave the directory is refused.
        anyhow::ensure!(
            key.split('/').all(|part| !part.is_empty() && part != "." && part != ".."),
            "invalid media key {key:?}"
        );
        let path = dir.join(key);
        let len = end.checked_sub(start).context("empty range")?;
        let bytes = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
            use std::io::{Read, Seek, SeekFrom};
            let mut file = std::fs::File::open(&path)?;
            file.seek(SeekFrom::Start(start))?;
            let mut buf = Vec::with_capacity(len as usize);
            file.take(len).read_to_end(&mut buf)?;
            if (buf.len() as u64) < len {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "object shorter than the range"));
            }
            Ok(buf)
        })
        .await??;
        Ok(Bytes::from(bytes))
    }

    /// A whole object, as a stream of chunks.
    pub async fn read_stream(
        &self,
        key: &str,
    ) -> anyhow::Result<futures_util::stream::BoxStream<'static, object_store::Result<Bytes>>> {
        Ok(self.inner.get(&ObjectPath::from(key)).await?.into_stream())
    }

    /// Stores `bytes` as a new object at `key` (in parts, so S3 takes any size).
    pub async fn put(&self, key: &str, bytes: Bytes) -> anyhow::Result<()> {
        let upload = self.inner.put_multipart(&ObjectPath::from(key)).await?;
        let mut w = WriteMultipart::new_with_chunk_size(upload, self.part_size.max(LARGE_PART));
        w.put(bytes);
        w.finish().await?;
        Ok(())
    }

    /// Deletes an object; one that is already gone is fine.
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self.inner.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_are_told_by_their_first_bytes() {
        assert_eq!(
            Container::sniff(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 1, 0, 0, 0]),
            Some(Container::WebM)
        );
        assert_eq!(Container::sniff(b"\0\0\0\x20ftypisom\0\0"), Some(Container::Mp4));
        assert_eq!(Container::sniff(b"<html><script>"), None);
        assert_eq!(Container::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\0"), None);
        assert_eq!(Container::sniff(b""), None);
    }
}
