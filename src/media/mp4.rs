//! Makes a recorded fragmented MP4 (what Safari's and WebKit's MediaRecorder write: `moov` with empty sample tables,
//! then `moof` + `mdat` fragments) into a progressive MP4 a player can seek in at once: `ftyp`, then a `moov` whose
//! sample tables index every frame (durations, sizes, key frames, composition offsets, chunk offsets), then one
//! `mdat`. Frames are copied byte for byte, in the order they were recorded (one chunk per recorded run).
//!
//! Recorders' quirks are tolerated: `ftyp` written twice, a `moof` repeated without its data, a last fragment cut
//! short (the file is cut at the last complete fragment), tracks a fragment apart. What cannot be read is an error;
//! the caller then keeps the take as recorded.

use super::webm::Remuxed;

#[derive(Debug, thiserror::Error)]
pub enum Mp4Error {
    #[error("not an MP4 file")]
    NotMp4,
    #[error("no moov box")]
    NoMoov,
    #[error("already progressive (no fragments)")]
    NotFragmented,
    #[error("malformed {0} box")]
    Malformed(&'static str),
    #[error("no frames")]
    NoFrames,
}

type Result<T> = std::result::Result<T, Mp4Error>;

/// One box: its type, where it starts, its header's length and its whole length.
#[derive(Debug, Clone, Copy)]
struct BoxAt {
    kind: [u8; 4],
    start: usize,
    header: usize,
    len: usize,
}

impl BoxAt {
    fn body<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        &data[self.start + self.header..self.start + self.len]
    }
}

/// The complete boxes of `data[from..to]`; a box cut short ends the list.
fn boxes(data: &[u8], from: usize, to: usize) -> Vec<BoxAt> {
    let mut out = Vec::new();
    let mut at = from;
    while at + 8 <= to {
        let size32 = be32(&data[at..]) as usize;
        let kind = [data[at + 4], data[at + 5], data[at + 6], data[at + 7]];
        let (len, header) = match size32 {
            0 => (to - at, 8),
            1 if at + 16 <= to => (be64(&data[at + 8..]) as usize, 16),
            1 => break,
            n => (n, 8),
        };
        if len < header || at.checked_add(len).is_none_or(|end| end > to) {
            break;
        }
        out.push(BoxAt { kind, start: at, header, len });
        at += len;
    }
    out
}

fn child(data: &[u8], parent: &BoxAt, kind: &[u8; 4]) -> Option<BoxAt> {
    boxes(data, parent.start + parent.header, parent.start + parent.len).into_iter().find(|b| &b.kind == kind)
}

fn children(data: &[u8], parent: &BoxAt, kind: &[u8; 4]) -> Vec<BoxAt> {
    boxes(data, parent.start + parent.header, parent.start + parent.len)
        .into_iter()
        .filter(|b| &b.kind == kind)
        .collect()
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn be64(b: &[u8]) -> u64 {
    u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

/// Reads big-endian fields from a box body, failing as `Malformed(what)` past its end.
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn new(b: &'a [u8], what: &'static str) -> Self {
        Self { b, at: 0, what }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let s = self.b.get(self.at..self.at + n).ok_or(Mp4Error::Malformed(self.what))?;
        self.at += n;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32> {
        self.take(4).map(be32)
    }
    fn u64(&mut self) -> Result<u64> {
        self.take(8).map(be64)
    }
}

/// Defaults a track's fragments fall back on (`trex`).
#[derive(Debug, Clone, Copy, Default)]
struct Defaults {
    duration: u32,
    size: u32,
    flags: u32,
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    duration: u32,
    size: u32,
    sync: bool,
    cto: i32,
}

/// A run of samples stored together: one chunk of the output.
struct Run {
    track: u32,
    offset: usize,
    samples: Vec<Sample>,
}

impl Run {
    /// Its bytes, all samples together.
    fn len(&self) -> usize {
        self.samples.iter().map(|s| s.size as usize).sum()
    }
}

/// `sample_is_non_sync_sample` in ISO/IEC 14496-12 sample flags.
const NON_SYNC: u32 = 0x0001_0000;

/// The sample runs of one `moof`, with their data checked to lie inside `mdat` payloads of the file. What a file
/// claims is never trusted further than its bytes go: a sample count must fit the `trun` that lists the samples
/// (or, with every field defaulted, the file at one byte a sample), and offsets are checked arithmetic.
fn read_moof(data: &[u8], moof: &BoxAt, trex: &[(u32, Defaults)], mdats: &[(usize, usize)]) -> Result<Vec<Run>> {
    let mut runs = Vec::new();
    for traf in children(data, moof, b"traf") {
        let tfhd = child(data, &traf, b"tfhd").ok_or(Mp4Error::Malformed("traf"))?;
        let mut r = Reader::new(tfhd.body(data), "tfhd");
        let flags = r.u32()? & 0x00FF_FFFF;
        let track = r.u32()?;
        let mut d = trex.iter().find(|(id, _)| *id == track).map(|(_, d)| *d).unwrap_or_default();
        let base = if flags & 0x01 != 0 { r.u64()? as usize } else { moof.start };
        if flags & 0x02 != 0 {
            r.u32()?;
        }
        if flags & 0x08 != 0 {
            d.duration = r.u32()?;
        }
        if flags & 0x10 != 0 {
            d.size = r.u32()?;
        }
        if flags & 0x20 != 0 {
            d.flags = r.u32()?;
        }
        let mut next = base;
        for trun in children(data, &traf, b"trun") {
            let mut r = Reader::new(trun.body(data), "trun");
            let vf = r.u32()?;
            let (version, flags) = (vf >> 24, vf & 0x00FF_FFFF);
            let count = r.u32()? as usize;
            let offset = if flags & 0x01 != 0 {
                let relative = i64::from(r.u32()? as i32);
                usize::try_from(base as i64 + relative).map_err(|_| Mp4Error::Malformed("trun offset"))?
            } else {
                next
            };
            let first_flags = if flags & 0x04 != 0 { Some(r.u32()?) } else { None };
            let per_sample = [0x100, 0x200, 0x400, 0x800].iter().filter(|f| flags & **f != 0).count() * 4;
            let room = (trun.body(data).len() - r.at).checked_div(per_sample).unwrap_or(data.len());
            if count > room {
                return Err(Mp4Error::Malformed("trun count"));
            }
            let mut samples = Vec::with_capacity(count);
            for i in 0..count {
                let duration = if flags & 0x100 != 0 { r.u32()? } else { d.duration };
                let size = if flags & 0x200 != 0 { r.u32()? } else { d.size };
                let sflags =
                    if flags & 0x400 != 0 { r.u32()? } else { first_flags.filter(|_| i == 0).unwrap_or(d.flags) };
                let cto = if flags & 0x800 != 0 {
                    let v = r.u32()?;
                    if version == 0 { i32::try_from(v).unwrap_or(i32::MAX) } else { v as i32 }
                } else {
                    0
                };
                samples.push(Sample { duration, size, sync: sflags & NON_SYNC == 0, cto });
            }
            let run = Run { track, offset, samples };
            let end = offset.checked_add(run.len()).ok_or(Mp4Error::Malformed("trun data"))?;
            next = end;
            // The run's bytes must be inside one mdat's payload: a repeated moof points at the next moof instead,
            // and a cut-short last fragment points past the end of the file.
            if !mdats.iter().any(|&(from, to)| offset >= from && end <= to) {
                return Err(Mp4Error::Malformed("trun data"));
            }
            if !run.samples.is_empty() {
                runs.push(run);
            }
        }
    }
    Ok(runs)
}

/// What the output needs of an input track.
struct Track<'a> {
    id: u32,
    timescale: u32,
    tkhd: &'a [u8],
    mdhd: &'a [u8],
    hdlr: &'a [u8],
    /// The media header (`vmhd`, `smhd`, …) and `dinf`, copied whole.
    minf_rest: Vec<&'a [u8]>,
    stsd: &'a [u8],
}

fn whole<'a>(data: &'a [u8], b: &BoxAt) -> &'a [u8] {
    &data[b.start..b.start + b.len]
}

fn read_track<'a>(data: &'a [u8], trak: &BoxAt) -> Result<Track<'a>> {
    let bad = || Mp4Error::Malformed("trak");
    let tkhd = child(data, trak, b"tkhd").ok_or_else(bad)?;
    let mdia = child(data, trak, b"mdia").ok_or_else(bad)?;
    let mdhd = child(data, &mdia, b"mdhd").ok_or_else(bad)?;
    let hdlr = child(data, &mdia, b"hdlr").ok_or_else(bad)?;
    let minf = child(data, &mdia, b"minf").ok_or_else(bad)?;
    let stbl = child(data, &minf, b"stbl").ok_or_else(bad)?;
    let stsd = child(data, &stbl, b"stsd").ok_or_else(bad)?;
    let mut r = Reader::new(tkhd.body(data), "tkhd");
    let version = r.u32()? >> 24;
    r.take(if version == 1 { 16 } else { 8 })?;
    let id = r.u32()?;
    let mut r = Reader::new(mdhd.body(data), "mdhd");
    let version = r.u32()? >> 24;
    r.take(if version == 1 { 16 } else { 8 })?;
    let timescale = r.u32()?;
    if timescale == 0 {
        return Err(Mp4Error::Malformed("mdhd"));
    }
    let minf_rest = boxes(data, minf.start + minf.header, minf.start + minf.len)
        .iter()
        .filter(|b| &b.kind != b"stbl")
        .map(|b| whole(data, b))
        .collect();
    Ok(Track {
        id,
        timescale,
        tkhd: whole(data, &tkhd),
        mdhd: whole(data, &mdhd),
        hdlr: whole(data, &hdlr),
        minf_rest,
        stsd: whole(data, &stsd),
    })
}

/// A box of `kind` around `body`.
fn mk(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(&((body.len() + 8) as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// A full box (version 0, no flags) of `kind` with a list of big-endian u32 rows after its entry count.
fn table(kind: &[u8; 4], rows: &[Vec<u32>]) -> Vec<u8> {
    let mut body = vec![0, 0, 0, 0];
    body.extend_from_slice(&(rows.len() as u32).to_be_bytes());
    for row in rows {
        for v in row {
            body.extend_from_slice(&v.to_be_bytes());
        }
    }
    mk(kind, &body)
}

/// `src` (a whole `mvhd`, `tkhd` or `mdhd`) with its duration set; `skip` is where the duration sits after the
/// version/flags word in version 0 (12 for mvhd/mdhd, 16 for tkhd), 8 more (wider fields) in version 1.
fn with_duration(src: &[u8], skip: usize, duration: u64) -> Vec<u8> {
    let mut out = src.to_vec();
    let version = out.get(8).copied().unwrap_or(0);
    if version == 1 {
        let at = 12 + skip + 8;
        if out.len() >= at + 8 {
            out[at..at + 8].copy_from_slice(&duration.to_be_bytes());
        }
    } else {
        let at = 12 + skip;
        if out.len() >= at + 4 {
            out[at..at + 4].copy_from_slice(&(duration.min(u64::from(u32::MAX)) as u32).to_be_bytes());
        }
    }
    out
}

/// Consecutive equal values, as (count, value) rows.
fn runs_of<T: PartialEq + Copy>(values: impl Iterator<Item = T>) -> Vec<(u32, T)> {
    let mut out: Vec<(u32, T)> = Vec::new();
    for v in values {
        match out.last_mut() {
            Some((n, last)) if *last == v => *n += 1,
            _ => out.push((1, v)),
        }
    }
    out
}

/// A track's duration in its own timescale: the sum of its samples' durations.
fn track_duration(runs: &[Run], track: u32) -> u64 {
    runs.iter().filter(|r| r.track == track).flat_map(|r| r.samples.iter()).map(|s| u64::from(s.duration)).sum()
}

/// Rewrites a fragmented MP4 (see the module's documentation). `NotFragmented` for a file that needs no rewrite.
pub fn remux(input: &[u8]) -> Result<Remuxed> {
    let top = boxes(input, 0, input.len());
    if top.first().is_none_or(|b| &b.kind != b"ftyp") {
        return Err(Mp4Error::NotMp4);
    }
    let moov = top.iter().find(|b| &b.kind == b"moov").ok_or(Mp4Error::NoMoov)?;
    let mvhd = child(input, moov, b"mvhd").ok_or(Mp4Error::Malformed("moov"))?;
    let mut r = Reader::new(mvhd.body(input), "mvhd");
    let version = r.u32()? >> 24;
    r.take(if version == 1 { 16 } else { 8 })?;
    let movie_timescale = r.u32()?.max(1);
    let tracks = children(input, moov, b"trak").iter().map(|t| read_track(input, t)).collect::<Result<Vec<_>>>()?;
    let trex: Vec<(u32, Defaults)> = child(input, moov, b"mvex")
        .map(|mvex| children(input, &mvex, b"trex"))
        .unwrap_or_default()
        .iter()
        .filter_map(|t| {
            let mut r = Reader::new(t.body(input), "trex");
            let (_, id, _, duration, size, flags) =
                (r.u32().ok()?, r.u32().ok()?, r.u32().ok()?, r.u32().ok()?, r.u32().ok()?, r.u32().ok()?);
            Some((id, Defaults { duration, size, flags }))
        })
        .collect();
    let mdats: Vec<(usize, usize)> =
        top.iter().filter(|b| &b.kind == b"mdat").map(|b| (b.start + b.header, b.start + b.len)).collect();
    let moofs: Vec<&BoxAt> = top.iter().filter(|b| &b.kind == b"moof").collect();
    if moofs.is_empty() {
        return Err(Mp4Error::NotFragmented);
    }
    let mut all_runs = Vec::new();
    for moof in moofs {
        // A moof whose data is not where it says (repeated, or cut short) is left out.
        if let Ok(runs) = read_moof(input, moof, &trex, &mdats) {
            all_runs.extend(runs);
        }
    }
    let tracks: Vec<Track<'_>> = tracks.into_iter().filter(|t| all_runs.iter().any(|r| r.track == t.id)).collect();
    if tracks.is_empty() {
        return Err(Mp4Error::NoFrames);
    }

    // The new file: ftyp, moov (sized first, chunk offsets filled in once the mdat's place is known), mdat.
    let ftyp = mk(b"ftyp", b"isom\x00\x00\x02\x00isomiso2avc1mp41");
    let payload: usize = all_runs.iter().map(Run::len).sum();
    let mdat_header = if payload + 8 > u32::MAX as usize { 16 } else { 8 };
    let wide = payload + 4096 > u32::MAX as usize;
    let build = |mdat_start: usize| -> Vec<u8> {
        // Where each run lands in the new mdat, in recorded order.
        let mut at = mdat_start + mdat_header;
        let mut chunk_at = Vec::with_capacity(all_runs.len());
        for run in &all_runs {
            chunk_at.push(at);
            at += run.len();
        }
        let mut traks = Vec::new();
        let mut movie_duration = 0u64;
        for t in &tracks {
            let runs: Vec<(usize, &Run)> = all_runs.iter().enumerate().filter(|(_, r)| r.track == t.id).collect();
            let samples: Vec<&Sample> = runs.iter().flat_map(|(_, r)| r.samples.iter()).collect();
            let duration = track_duration(&all_runs, t.id);
            let in_movie = duration * u64::from(movie_timescale) / u64::from(t.timescale);
            movie_duration = movie_duration.max(in_movie);
            let stts: Vec<Vec<u32>> =
                runs_of(samples.iter().map(|s| s.duration)).into_iter().map(|(n, d)| vec![n, d]).collect();
            let mut stbl = t.stsd.to_vec();
            stbl.extend(table(b"stts", &stts));
            if samples.iter().any(|s| s.cto != 0) {
                let rows: Vec<Vec<u32>> =
                    runs_of(samples.iter().map(|s| s.cto)).into_iter().map(|(n, c)| vec![n, c as u32]).collect();
                let mut ctts = table(b"ctts", &rows);
                ctts[8] = 1; // version 1: signed offsets
                stbl.extend(ctts);
            }
            if samples.iter().any(|s| !s.sync) {
                let rows: Vec<Vec<u32>> =
                    samples.iter().enumerate().filter(|(_, s)| s.sync).map(|(i, _)| vec![i as u32 + 1]).collect();
                stbl.extend(table(b"stss", &rows));
            }
            let mut stsc_rows: Vec<Vec<u32>> = Vec::new();
            for (chunk, (_, run)) in runs.iter().enumerate() {
                let n = run.samples.len() as u32;
                if stsc_rows.last().is_none_or(|last| last[1] != n) {
                    stsc_rows.push(vec![chunk as u32 + 1, n, 1]);
                }
            }
            stbl.extend(table(b"stsc", &stsc_rows));
            let mut stsz = vec![0u8; 8];
            stsz.extend_from_slice(&(samples.len() as u32).to_be_bytes());
            for s in &samples {
                stsz.extend_from_slice(&s.size.to_be_bytes());
            }
            stbl.extend(mk(b"stsz", &stsz));
            let mut offsets = vec![0u8; 4];
            offsets.extend_from_slice(&(runs.len() as u32).to_be_bytes());
            for (i, _) in &runs {
                if wide {
                    offsets.extend_from_slice(&(chunk_at[*i] as u64).to_be_bytes());
                } else {
                    offsets.extend_from_slice(&(chunk_at[*i] as u32).to_be_bytes());
                }
            }
            stbl.extend(mk(if wide { b"co64" } else { b"stco" }, &offsets));
            let mut minf: Vec<u8> = t.minf_rest.concat();
            minf.extend(mk(b"stbl", &stbl));
            let mut mdia = with_duration(t.mdhd, 12, duration);
            mdia.extend_from_slice(t.hdlr);
            mdia.extend(mk(b"minf", &minf));
            let mut trak = with_duration(t.tkhd, 16, in_movie);
            trak.extend(mk(b"mdia", &mdia));
            traks.push(mk(b"trak", &trak));
        }
        let mut moov = with_duration(whole(input, &mvhd), 12, movie_duration);
        for t in traks {
            moov.extend(t);
        }
        mk(b"moov", &moov)
    };
    let sized = build(0);
    let mdat_start = ftyp.len() + sized.len();
    let moov = build(mdat_start);
    debug_assert_eq!(moov.len(), sized.len());

    let mut out = Vec::with_capacity(mdat_start + mdat_header + payload);
    out.extend_from_slice(&ftyp);
    out.extend_from_slice(&moov);
    if mdat_header == 16 {
        out.extend_from_slice(&1u32.to_be_bytes());
        out.extend_from_slice(b"mdat");
        out.extend_from_slice(&((payload + 16) as u64).to_be_bytes());
    } else {
        out.extend_from_slice(&((payload + 8) as u32).to_be_bytes());
        out.extend_from_slice(b"mdat");
    }
    for run in &all_runs {
        out.extend_from_slice(&input[run.offset..run.offset + run.len()]);
    }
    let duration_ms =
        tracks.iter().map(|t| track_duration(&all_runs, t.id) * 1000 / u64::from(t.timescale)).max().unwrap_or(0);
    let cues = all_runs.iter().flat_map(|r| r.samples.iter()).filter(|s| s.sync).count();
    Ok(Remuxed { bytes: out, duration_ms, cues })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A take WebKitGTK's MediaRecorder wrote (H.264 + AAC, 1-second slices): `ftyp` twice, a `moof` repeated
    /// without its data near the end.
    const WEBKIT: &[u8] = include_bytes!("../../tests/fixtures/webkit-take.mp4");

    /// One track of an output file: sample sizes, chunk offsets, (first chunk, samples per chunk) from stsc, sync
    /// sample numbers, and the total of its durations.
    type TrackTables = (Vec<u32>, Vec<u64>, Vec<(u32, u32)>, Vec<u32>, u64);

    struct Parsed {
        top: Vec<[u8; 4]>,
        tracks: Vec<TrackTables>,
        movie_duration: u64,
    }

    fn parse(out: &[u8]) -> Parsed {
        let top = boxes(out, 0, out.len());
        let moov = top.iter().find(|b| &b.kind == b"moov").unwrap();
        assert!(child(out, moov, b"mvex").is_none(), "no fragments announced");
        let mvhd = child(out, moov, b"mvhd").unwrap();
        let movie_duration = u64::from(be32(&mvhd.body(out)[16..]));
        let mut tracks = Vec::new();
        for trak in children(out, moov, b"trak") {
            let mdia = child(out, &trak, b"mdia").unwrap();
            let stbl = child(out, &child(out, &mdia, b"minf").unwrap(), b"stbl").unwrap();
            let body = |k: &[u8; 4]| child(out, &stbl, k).map(|b| b.body(out).to_vec());
            let stsz = body(b"stsz").unwrap();
            let sizes = (0..be32(&stsz[8..])).map(|i| be32(&stsz[12 + 4 * i as usize..])).collect();
            let stco = body(b"stco").unwrap();
            let offsets = (0..be32(&stco[4..])).map(|i| u64::from(be32(&stco[8 + 4 * i as usize..]))).collect();
            let stsc = body(b"stsc").unwrap();
            let per_chunk = (0..be32(&stsc[4..]))
                .map(|i| (be32(&stsc[8 + 12 * i as usize..]), be32(&stsc[12 + 12 * i as usize..])))
                .collect();
            let sync = body(b"stss")
                .map(|b| (0..be32(&b[4..])).map(|i| be32(&b[8 + 4 * i as usize..])).collect())
                .unwrap_or_default();
            let stts = body(b"stts").unwrap();
            let total = (0..be32(&stts[4..]))
                .map(|i| u64::from(be32(&stts[8 + 8 * i as usize..])) * u64::from(be32(&stts[12 + 8 * i as usize..])))
                .sum();
            tracks.push((sizes, offsets, per_chunk, sync, total));
        }
        Parsed { top: top.iter().map(|b| b.kind).collect(), tracks, movie_duration }
    }

    /// The frames of the input, by track, in order: what the output must hold byte for byte.
    fn input_frames(input: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let top = boxes(input, 0, input.len());
        let moov = top.iter().find(|b| &b.kind == b"moov").unwrap();
        let ids: Vec<u32> = children(input, moov, b"trak").iter().map(|t| read_track(input, t).unwrap().id).collect();
        let mdats: Vec<(usize, usize)> =
            top.iter().filter(|b| &b.kind == b"mdat").map(|b| (b.start + b.header, b.start + b.len)).collect();
        let mut frames = vec![Vec::new(); ids.len()];
        for moof in top.iter().filter(|b| &b.kind == b"moof") {
            let Ok(runs) = read_moof(input, moof, &[], &mdats) else { continue };
            for run in runs {
                let t = ids.iter().position(|id| *id == run.track).unwrap();
                let mut at = run.offset;
                for s in &run.samples {
                    frames[t].push(input[at..at + s.size as usize].to_vec());
                    at += s.size as usize;
                }
            }
        }
        frames
    }

    fn output_frames(out: &[u8], p: &Parsed) -> Vec<Vec<Vec<u8>>> {
        p.tracks
            .iter()
            .map(|(sizes, offsets, per_chunk, _, _)| {
                let mut frames = Vec::new();
                let mut sample = 0usize;
                for (c, offset) in offsets.iter().enumerate() {
                    let chunk = c as u32 + 1;
                    let n = per_chunk.iter().rev().find(|(first, _)| *first <= chunk).unwrap().1;
                    let mut at = *offset as usize;
                    for _ in 0..n {
                        let size = sizes[sample] as usize;
                        frames.push(out[at..at + size].to_vec());
                        at += size;
                        sample += 1;
                    }
                }
                assert_eq!(sample, sizes.len());
                frames
            })
            .collect()
    }

    #[test]
    fn a_webkit_recording_becomes_progressive_with_every_frame_unchanged() {
        let out = remux(WEBKIT).unwrap();
        let p = parse(&out.bytes);
        assert_eq!(p.top, [*b"ftyp", *b"moov", *b"mdat"], "the index before the media");
        assert_eq!(p.tracks.len(), 2, "video and audio");
        assert!((4000..5500).contains(&out.duration_ms), "duration {} ms", out.duration_ms);
        assert!(p.movie_duration > 0);
        let video = &p.tracks[0];
        assert!(!video.3.is_empty() && video.3[0] == 1, "key frames listed, the first one first");
        let before = input_frames(WEBKIT);
        assert!(before.iter().all(|t| !t.is_empty()));
        assert_eq!(output_frames(&out.bytes, &p), before, "every frame copied byte for byte, in order");
        // The repeated moof (data pointing at the next moof) added nothing.
        assert!(matches!(remux(&out.bytes), Err(Mp4Error::NotFragmented)));
    }

    #[test]
    fn a_cut_short_tail_is_cut_at_the_last_complete_fragment() {
        let whole = remux(WEBKIT).unwrap();
        let cut = &WEBKIT[..WEBKIT.len() - 20_000];
        let out = remux(cut).unwrap();
        let p = parse(&out.bytes);
        assert!(out.duration_ms < whole.duration_ms && out.duration_ms > 3000, "{} ms", out.duration_ms);
        let frames = output_frames(&out.bytes, &p);
        let all = output_frames(&whole.bytes, &parse(&whole.bytes));
        for (t, f) in frames.iter().enumerate() {
            assert_eq!(f[..], all[t][..f.len()], "the frames kept are the first ones");
        }
    }

    /// A box of `kind` around `body`, for hand-made files.
    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        mk(kind, body)
    }

    #[test]
    fn a_hostile_fragment_costs_nothing_and_changes_nothing() {
        // The fixture's moov, then a moof whose trun claims four billion samples with every field defaulted, and
        // one whose data offset points before the start of the file; then the fixture's own fragments.
        let top = boxes(WEBKIT, 0, WEBKIT.len());
        let head: Vec<u8> = top
            .iter()
            .filter(|b| &b.kind != b"moof" && &b.kind != b"mdat")
            .flat_map(|b| whole(WEBKIT, b).to_vec())
            .collect();
        let fragments: Vec<u8> = top
            .iter()
            .filter(|b| &b.kind == b"moof" || &b.kind == b"mdat")
            .flat_map(|b| whole(WEBKIT, b).to_vec())
            .collect();
        let tfhd = boxed(b"tfhd", &[0, 0x02, 0, 0, 0, 0, 0, 1]);
        let huge = boxed(b"trun", &[0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
        let before_start = boxed(b"trun", &[0, 0, 0x02, 0x01, 0, 0, 0, 1, 0x80, 0, 0, 0, 0, 0, 0, 8]);
        let mut file = head;
        for trun in [huge, before_start] {
            let traf = boxed(b"traf", &[tfhd.clone(), trun].concat());
            file.extend(boxed(b"moof", &[boxed(b"mfhd", &[0; 8]), traf].concat()));
            file.extend(boxed(b"mdat", &[7; 64]));
        }
        file.extend(fragments);
        let started = std::time::Instant::now();
        let out = remux(&file).unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "no sample list built for the claim");
        assert_eq!(output_frames(&out.bytes, &parse(&out.bytes)), input_frames(WEBKIT), "only the real frames");
    }

    #[test]
    fn what_is_not_a_fragmented_mp4_is_refused() {
        assert!(matches!(remux(b"\x1a\x45\xdf\xa3 webm"), Err(Mp4Error::NotMp4)));
        assert!(matches!(remux(&WEBKIT[..1000]), Err(Mp4Error::NoMoov | Mp4Error::NoFrames)));
        // QuickTime from an iPhone's camera app is an MP4 too (`ftyp qt  `).
        let mut qt = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ".to_vec();
        qt.extend_from_slice(b"\x00\x00\x00\x08free");
        assert_eq!(super::super::Container::sniff(&qt), Some(super::super::Container::Mp4));
    }
}
