//! Makes a browser-recorded WebM seekable. MediaRecorder writes a live stream: the Segment and its Clusters have
//! "unknown" sizes, Info has no Duration and there are no Cues, so players cannot seek (Chrome shows an infinite
//! duration). [`remux`] rewrites such a file without touching a frame: known sizes everywhere, a Duration, a SeekHead
//! and a Cues index (one cue per cluster, at its first key frame) placed before the clusters, so a player needs no
//! request to the end of the file to seek.
//!
//! Only what WebM needs of EBML is read: element IDs, sizes (known or unknown), a cluster's Timecode and its blocks'
//! track, time and key-frame flag. The rest is copied byte for byte. The whole file is held in memory: callers bound
//! how many rewrites run at once.

use std::fmt;

const EBML: u32 = 0x1A45_DFA3;
const SEGMENT: u32 = 0x1853_8067;
const SEEK_HEAD: u32 = 0x114D_9B74;
const SEEK: u32 = 0x4DBB;
const SEEK_ID: u32 = 0x53AB;
const SEEK_POSITION: u32 = 0x53AC;
const INFO: u32 = 0x1549_A966;
const TIMECODE_SCALE: u32 = 0x2A_D7B1;
const DURATION: u32 = 0x4489;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_NUMBER: u32 = 0xD7;
const TRACK_TYPE: u32 = 0x83;
const CLUSTER: u32 = 0x1F43_B675;
const TIMECODE: u32 = 0xE7;
const SIMPLE_BLOCK: u32 = 0xA3;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;
const REFERENCE_BLOCK: u32 = 0xFB;
const CUES: u32 = 0x1C53_BB6B;
const CUE_POINT: u32 = 0xBB;
const CUE_TIME: u32 = 0xB3;
const CUE_TRACK_POSITIONS: u32 = 0xB7;
const CUE_TRACK: u32 = 0xF7;
const CUE_CLUSTER_POSITION: u32 = 0xF1;
const VOID: u32 = 0xEC;
/// Cluster children that are read or dropped; any other ID ends a cluster of unknown size.
const CLUSTER_CHILDREN: [u32; 6] = [TIMECODE, SIMPLE_BLOCK, BLOCK_GROUP, 0xA7, 0xAB, 0x5854];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebmError {
    NotWebm,
    Malformed(&'static str),
    NoFrames,
}

impl fmt::Display for WebmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebmError::NotWebm => f.write_str("not a WebM file"),
            WebmError::Malformed(what) => write!(f, "malformed WebM: {what}"),
            WebmError::NoFrames => f.write_str("WebM without any frame"),
        }
    }
}

impl std::error::Error for WebmError {}

type Result<T> = std::result::Result<T, WebmError>;

/// One frame as stored: its track, its absolute time (in timecode-scale units), whether it is a key frame, and the
/// block's bytes after the block header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<'a> {
    pub track: u64,
    pub time: i64,
    pub key: bool,
    pub data: &'a [u8],
}

/// What a WebM file says about itself.
#[derive(Debug, Clone)]
pub struct Summary<'a> {
    /// Info's Duration, in milliseconds, when present.
    pub duration_ms: Option<f64>,
    /// Cue points: (time in ms, cluster position relative to the segment's data).
    pub cues: Vec<(u64, u64)>,
    /// Byte offsets of every cluster, relative to the segment's data.
    pub cluster_positions: Vec<u64>,
    pub frames: Vec<Frame<'a>>,
    /// Whether the segment and every cluster have a known size.
    pub sizes_known: bool,
}

/// The rewritten file.
pub struct Remuxed {
    pub bytes: Vec<u8>,
    pub duration_ms: u64,
    pub cues: usize,
}

#[derive(Clone, Copy)]
struct Header {
    id: u32,
    /// `None` for the "unknown" size.
    size: Option<u64>,
    /// Length of the ID and size fields.
    len: usize,
}

fn read_id(b: &[u8]) -> Result<(u32, usize)> {
    let first = *b.first().ok_or(WebmError::Malformed("truncated ID"))?;
    let len = first.leading_zeros() as usize + 1;
    if len > 4 || b.len() < len {
        return Err(WebmError::Malformed("bad element ID"));
    }
    Ok((b[..len].iter().fold(0u32, |acc, &x| (acc << 8) | x as u32), len))
}

/// A size vint; `None` when all its value bits are ones (unknown size).
fn read_size(b: &[u8]) -> Result<(Option<u64>, usize)> {
    let first = *b.first().ok_or(WebmError::Malformed("truncated size"))?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 || b.len() < len {
        return Err(WebmError::Malformed("bad element size"));
    }
    let mask = if len == 8 { 0 } else { 0xFFu8 >> len };
    let mut v = (first & mask) as u64;
    for &x in &b[1..len] {
        v = (v << 8) | x as u64;
    }
    let all_ones = (1u64 << (7 * len)) - 1;
    Ok((if v == all_ones { None } else { Some(v) }, len))
}

fn read_header(b: &[u8]) -> Result<Header> {
    let (id, a) = read_id(b)?;
    let (size, c) = read_size(&b[a..])?;
    Ok(Header { id, size, len: a + c })
}

fn read_uint(b: &[u8]) -> u64 {
    b.iter().take(8).fold(0u64, |acc, &x| (acc << 8) | x as u64)
}

/// The children of a known-size element body, as (id, body).
fn children(mut b: &[u8]) -> Result<Vec<(u32, &[u8])>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let h = read_header(b)?;
        let size = h.size.ok_or(WebmError::Malformed("unknown size inside a sized element"))? as usize;
        let end = h.len.checked_add(size).filter(|&e| e <= b.len()).ok_or(WebmError::Malformed("child overruns"))?;
        out.push((h.id, &b[h.len..end]));
        b = &b[end..];
    }
    Ok(out)
}

/// A block's track, relative time and key-frame flag, and its frame bytes.
fn parse_block(body: &[u8]) -> Result<(u64, i16, u8, &[u8])> {
    let (track, n) = read_size(body)?;
    let track = track.ok_or(WebmError::Malformed("block track"))?;
    if body.len() < n + 3 {
        return Err(WebmError::Malformed("short block"));
    }
    let rel = i16::from_be_bytes([body[n], body[n + 1]]);
    Ok((track, rel, body[n + 2], &body[n + 3..]))
}

struct Cluster<'a> {
    /// Offset of the cluster element, relative to the segment's data.
    position: u64,
    timecode: u64,
    /// Raw SimpleBlock / BlockGroup elements (header included), in order.
    blocks: Vec<&'a [u8]>,
    frames: Vec<Frame<'a>>,
    sized: bool,
}

struct Parsed<'a> {
    ebml_header: &'a [u8],
    timecode_scale: u64,
    /// Info's children except Duration, raw.
    info_rest: Vec<&'a [u8]>,
    duration: Option<f64>,
    tracks: &'a [u8],
    /// Track number → type (1 video, 2 audio).
    track_types: Vec<(u64, u64)>,
    /// Other top-level elements to keep (Tags, Chapters…), raw.
    others: Vec<&'a [u8]>,
    cues: Vec<(u64, u64)>,
    clusters: Vec<Cluster<'a>>,
    segment_sized: bool,
}

fn parse(input: &[u8]) -> Result<Parsed<'_>> {
    let h = read_header(input).map_err(|_| WebmError::NotWebm)?;
    if h.id != EBML {
        return Err(WebmError::NotWebm);
    }
    let end = h.len + h.size.ok_or(WebmError::NotWebm)? as usize;
    let ebml_header = input.get(..end).ok_or(WebmError::NotWebm)?;
    let seg = read_header(&input[end..])?;
    if seg.id != SEGMENT {
        return Err(WebmError::Malformed("no Segment"));
    }
    let data_start = end + seg.len;
    let data_end = seg.size.map_or(input.len(), |s| (data_start + s as usize).min(input.len()));
    let data = &input[data_start..data_end];
    let mut p = Parsed {
        ebml_header,
        timecode_scale: 1_000_000,
        info_rest: Vec::new(),
        duration: None,
        tracks: &[],
        track_types: Vec::new(),
        others: Vec::new(),
        cues: Vec::new(),
        clusters: Vec::new(),
        segment_sized: seg.size.is_some(),
    };
    let mut at = 0usize;
    while at < data.len() {
        // A file cut short (a recording interrupted mid-block) keeps what was complete.
        let Ok(h) = read_header(&data[at..]) else { break };
        if h.id == CLUSTER {
            let body_start = at + h.len;
            let (cluster, next) = parse_cluster(data, at, body_start, h.size)?;
            p.clusters.push(cluster);
            at = next;
            continue;
        }
        let Some(size) = h.size else {
            return Err(WebmError::Malformed("unknown size outside a cluster"));
        };
        let el_end = at + h.len + size as usize;
        if el_end > data.len() {
            break;
        }
        let raw = &data[at..el_end];
        let body = &raw[h.len..];
        match h.id {
            INFO => {
                for (id, child) in children(body)? {
                    match id {
                        TIMECODE_SCALE => p.timecode_scale = read_uint(child).max(1),
                        DURATION => {
                            p.duration = match child.len() {
                                4 => Some(f32::from_be_bytes(child.try_into().unwrap_or_default()) as f64),
                                8 => Some(f64::from_be_bytes(child.try_into().unwrap_or_default())),
                                _ => None,
                            }
                        }
                        _ => {}
                    }
                }
                // Keep Info's children raw, minus Duration.
                let mut b = body;
                while !b.is_empty() {
                    let ch = read_header(b)?;
                    let len = ch.len + ch.size.unwrap_or(0) as usize;
                    if ch.id != DURATION {
                        p.info_rest.push(&b[..len]);
                    }
                    b = &b[len..];
                }
            }
            TRACKS => {
                p.tracks = raw;
                for (id, entry) in children(body)? {
                    if id != TRACK_ENTRY {
                        continue;
                    }
                    let fields = children(entry)?;
                    let number = fields.iter().find(|(i, _)| *i == TRACK_NUMBER).map(|(_, v)| read_uint(v));
                    let kind = fields.iter().find(|(i, _)| *i == TRACK_TYPE).map(|(_, v)| read_uint(v));
                    if let (Some(n), Some(t)) = (number, kind) {
                        p.track_types.push((n, t));
                    }
                }
            }
            CUES => {
                for (id, point) in children(body)? {
                    if id != CUE_POINT {
                        continue;
                    }
                    let fields = children(point)?;
                    let time = fields.iter().find(|(i, _)| *i == CUE_TIME).map(|(_, v)| read_uint(v));
                    let pos = fields.iter().filter(|(i, _)| *i == CUE_TRACK_POSITIONS).find_map(|(_, v)| {
                        children(v)
                            .ok()?
                            .into_iter()
                            .find(|(i, _)| *i == CUE_CLUSTER_POSITION)
                            .map(|(_, v)| read_uint(v))
                    });
                    if let (Some(t), Some(pos)) = (time, pos) {
                        p.cues.push((t, pos));
                    }
                }
            }
            SEEK_HEAD | VOID => {}
            _ => p.others.push(raw),
        }
        at = el_end;
    }
    Ok(p)
}

/// Reads the cluster at `at` (its body from `body_start`); returns it and where the next element begins.
fn parse_cluster(data: &[u8], at: usize, body_start: usize, size: Option<u64>) -> Result<(Cluster<'_>, usize)> {
    let limit = size.map_or(data.len(), |s| (body_start + s as usize).min(data.len()));
    let mut c =
        Cluster { position: at as u64, timecode: 0, blocks: Vec::new(), frames: Vec::new(), sized: size.is_some() };
    let mut i = body_start;
    while i < limit {
        let Ok(h) = read_header(&data[i..limit]) else { break };
        if size.is_none() && !CLUSTER_CHILDREN.contains(&h.id) {
            break;
        }
        let Some(len) = h.size else {
            return Err(WebmError::Malformed("unknown size inside a cluster"));
        };
        let end = i + h.len + len as usize;
        if end > limit {
            // Cut short: drop the incomplete block.
            i = limit;
            break;
        }
        let body = &data[i + h.len..end];
        match h.id {
            TIMECODE => c.timecode = read_uint(body),
            SIMPLE_BLOCK => {
                let (track, rel, flags, frame) = parse_block(body)?;
                c.frames.push(Frame {
                    track,
                    time: c.timecode as i64 + rel as i64,
                    key: flags & 0x80 != 0,
                    data: frame,
                });
                c.blocks.push(&data[i..end]);
            }
            BLOCK_GROUP => {
                let fields = children(body)?;
                if let Some((_, block)) = fields.iter().find(|(id, _)| *id == BLOCK) {
                    let (track, rel, _, frame) = parse_block(block)?;
                    let key = !fields.iter().any(|(id, _)| *id == REFERENCE_BLOCK);
                    c.frames.push(Frame { track, time: c.timecode as i64 + rel as i64, key, data: frame });
                    c.blocks.push(&data[i..end]);
                }
            }
            _ => {}
        }
        i = end;
    }
    Ok((c, if size.is_some() { limit } else { i }))
}

/// Reads a WebM file's duration, cues and frames (for checks and tests).
pub fn inspect(input: &[u8]) -> Result<Summary<'_>> {
    let p = parse(input)?;
    let scale = p.timecode_scale as f64 / 1_000_000.0;
    Ok(Summary {
        duration_ms: p.duration.map(|d| d * scale),
        cues: p.cues.iter().map(|&(t, pos)| ((t as f64 * scale) as u64, pos)).collect(),
        cluster_positions: p.clusters.iter().map(|c| c.position).collect(),
        sizes_known: p.segment_sized && p.clusters.iter().all(|c| c.sized),
        frames: p.clusters.into_iter().flat_map(|c| c.frames).collect(),
    })
}

fn push_id(out: &mut Vec<u8>, id: u32) {
    let bytes = id.to_be_bytes();
    let skip = bytes.iter().position(|&b| b != 0).unwrap_or(3);
    out.extend_from_slice(&bytes[skip..]);
}

/// An 8-byte size field (so an element's length does not depend on its content's size).
fn push_size8(out: &mut Vec<u8>, size: u64) {
    out.push(0x01);
    out.extend_from_slice(&size.to_be_bytes()[1..]);
}

/// A size in the fewest bytes.
fn push_size(out: &mut Vec<u8>, size: u64) {
    let len = (1..=8).find(|&n| size < (1u64 << (7 * n)) - 1).unwrap_or(8);
    let marked = size | (1u64 << (7 * len));
    out.extend_from_slice(&marked.to_be_bytes()[8 - len..]);
}

fn push_element(out: &mut Vec<u8>, id: u32, body: &[u8]) {
    push_id(out, id);
    push_size(out, body.len() as u64);
    out.extend_from_slice(body);
}

/// An unsigned integer element in a fixed 8 bytes.
fn push_uint8(out: &mut Vec<u8>, id: u32, v: u64) {
    push_id(out, id);
    push_size(out, 8);
    out.extend_from_slice(&v.to_be_bytes());
}

/// Rewrites a MediaRecorder WebM with known sizes, a Duration and Cues before the clusters; frames are copied
/// unchanged and in order.
pub fn remux(input: &[u8]) -> Result<Remuxed> {
    let p = parse(input)?;
    let frames: Vec<&Frame<'_>> = p.clusters.iter().flat_map(|c| c.frames.iter()).collect();
    if frames.is_empty() {
        return Err(WebmError::NoFrames);
    }
    // Duration: the last frame's time plus one frame of its track (the gap before it).
    let last = frames.iter().max_by_key(|f| f.time).copied().ok_or(WebmError::NoFrames)?;
    let first_time = frames.iter().map(|f| f.time).min().unwrap_or(0).min(0);
    let mut same_track = frames.iter().filter(|f| f.track == last.track).map(|f| f.time).collect::<Vec<_>>();
    same_track.sort_unstable();
    let frame_gap = match same_track.as_slice() {
        [.., a, b] => (b - a).max(0),
        _ => 0,
    };
    let duration = (last.time - first_time + frame_gap).max(0) as u64;
    // Cue on the first video track (else the first audio track), at each cluster's first key frame of it.
    let cue_track = p
        .track_types
        .iter()
        .find(|(_, t)| *t == 1)
        .or_else(|| p.track_types.iter().find(|(_, t)| *t == 2))
        .map(|(n, _)| *n)
        .unwrap_or(last.track);

    // Clusters as they will be written: header (4-byte ID + 8-byte size) + Timecode + blocks.
    let cluster_bodies: Vec<(u64, Vec<&[u8]>)> = p.clusters.iter().map(|c| (c.timecode, c.blocks.clone())).collect();
    let timecode_len = |tc: u64| {
        let mut v = Vec::new();
        push_uint8(&mut v, TIMECODE, tc);
        v.len()
    };
    let cluster_lens: Vec<u64> = cluster_bodies
        .iter()
        .map(|(tc, blocks)| 4 + 8 + timecode_len(*tc) as u64 + blocks.iter().map(|b| b.len() as u64).sum::<u64>())
        .collect();

    let mut info = Vec::new();
    for raw in &p.info_rest {
        info.extend_from_slice(raw);
    }
    push_id(&mut info, DURATION);
    push_size(&mut info, 8);
    info.extend_from_slice(&(duration as f64).to_be_bytes());
    let mut info_el = Vec::new();
    push_element(&mut info_el, INFO, &info);
    let others_len: usize = p.others.iter().map(|o| o.len()).sum();

    let cue_points: Vec<(u64, usize)> = p
        .clusters
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.frames.iter().find(|f| f.track == cue_track && f.key).map(|f| (f.time.max(0) as u64, i)))
        .collect();
    // Every element below has fixed-width fields, so lengths are known before positions.
    let cue_point_len = {
        let mut v = Vec::new();
        write_cue_point(&mut v, 0, cue_track, 0);
        v.len()
    };
    let cues_len = 4 + 8 + cue_points.len() * cue_point_len;
    let seek_head_len = {
        let mut v = Vec::new();
        write_seek_head(&mut v, [(INFO, 0), (TRACKS, 0), (CUES, 0)]);
        v.len()
    };
    let info_pos = seek_head_len as u64;
    let tracks_pos = info_pos + info_el.len() as u64;
    let cues_pos = tracks_pos + p.tracks.len() as u64 + others_len as u64;
    let first_cluster = cues_pos + cues_len as u64;
    let mut positions = Vec::with_capacity(cluster_lens.len());
    let mut pos = first_cluster;
    for len in &cluster_lens {
        positions.push(pos);
        pos += len;
    }
    let segment_len = pos;

    let mut out = Vec::with_capacity(p.ebml_header.len() + 12 + segment_len as usize);
    out.extend_from_slice(p.ebml_header);
    push_id(&mut out, SEGMENT);
    push_size8(&mut out, segment_len);
    write_seek_head(&mut out, [(INFO, info_pos), (TRACKS, tracks_pos), (CUES, cues_pos)]);
    out.extend_from_slice(&info_el);
    out.extend_from_slice(p.tracks);
    for o in &p.others {
        out.extend_from_slice(o);
    }
    push_id(&mut out, CUES);
    push_size8(&mut out, (cues_len - 12) as u64);
    for &(time, i) in &cue_points {
        write_cue_point(&mut out, time, cue_track, positions[i]);
    }
    for ((tc, blocks), len) in cluster_bodies.iter().zip(&cluster_lens) {
        push_id(&mut out, CLUSTER);
        push_size8(&mut out, len - 12);
        push_uint8(&mut out, TIMECODE, *tc);
        for b in blocks {
            out.extend_from_slice(b);
        }
    }
    let scale = p.timecode_scale as f64 / 1_000_000.0;
    Ok(Remuxed { bytes: out, duration_ms: (duration as f64 * scale).round() as u64, cues: cue_points.len() })
}

fn write_cue_point(out: &mut Vec<u8>, time: u64, track: u64, position: u64) {
    let mut positions = Vec::new();
    push_uint8(&mut positions, CUE_TRACK, track);
    push_uint8(&mut positions, CUE_CLUSTER_POSITION, position);
    let mut point = Vec::new();
    push_uint8(&mut point, CUE_TIME, time);
    push_element(&mut point, CUE_TRACK_POSITIONS, &positions);
    push_element(out, CUE_POINT, &point);
}

fn write_seek_head(out: &mut Vec<u8>, entries: [(u32, u64); 3]) {
    let mut body = Vec::new();
    for (id, pos) in entries {
        let mut seek = Vec::new();
        let mut id_bytes = Vec::new();
        push_id(&mut id_bytes, id);
        push_element(&mut seek, SEEK_ID, &id_bytes);
        push_uint8(&mut seek, SEEK_POSITION, pos);
        push_element(&mut body, SEEK, &seek);
    }
    push_element(out, SEEK_HEAD, &body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_trip() {
        for v in [0u64, 1, 126, 127, 128, 16_382, 16_383, 1 << 20, (1 << 49) + 5] {
            let mut b = Vec::new();
            push_size(&mut b, v);
            assert_eq!(read_size(&b).unwrap(), (Some(v), b.len()), "{v}");
        }
        assert_eq!(read_size(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]).unwrap(), (None, 8));
        assert_eq!(read_size(&[0xFF]).unwrap(), (None, 1));
        let mut b = Vec::new();
        push_size8(&mut b, 300);
        assert_eq!(read_size(&b).unwrap(), (Some(300), 8));
    }

    const RECORDED: &[u8] = include_bytes!("../../tests/fixtures/take.webm");

    #[test]
    fn a_recording_becomes_seekable_with_the_same_frames() {
        let before = inspect(RECORDED).unwrap();
        assert_eq!(before.duration_ms, None);
        assert!(before.cues.is_empty());
        assert!(!before.sizes_known);
        assert!(before.frames.len() > 100, "{} frames", before.frames.len());

        let out = remux(RECORDED).unwrap();
        let after = inspect(&out.bytes).unwrap();
        assert!(after.sizes_known);
        let d = after.duration_ms.unwrap();
        assert!((5_500.0..7_000.0).contains(&d), "duration {d} ms");
        assert_eq!(out.duration_ms, d.round() as u64);
        assert!(out.cues >= 5, "{} cues for a 6-second recording with a key frame each second", out.cues);
        assert_eq!(after.cues.len(), out.cues);
        for (_, pos) in &after.cues {
            assert!(after.cluster_positions.contains(pos), "cue points at {pos}, not a cluster");
        }
        assert_eq!(after.frames, before.frames);
        // Rewriting a rewritten file changes nothing.
        assert_eq!(remux(&out.bytes).unwrap().bytes, out.bytes);
    }

    #[test]
    fn a_recording_cut_short_keeps_its_complete_frames() {
        let cut = &RECORDED[..RECORDED.len() / 2 + 7];
        let before = inspect(cut).unwrap();
        let out = remux(cut).unwrap();
        assert_eq!(inspect(&out.bytes).unwrap().frames, before.frames);
    }

    #[test]
    fn not_webm_is_refused() {
        assert_eq!(remux(b"\x00\x00\x00\x18ftypmp42").err(), Some(WebmError::NotWebm));
        assert_eq!(remux(b"").err(), Some(WebmError::NotWebm));
    }
}
