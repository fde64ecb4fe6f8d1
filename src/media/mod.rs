//! Where recordings are stored: an `object_store` — a local directory by default (`DATA_DIR/media`). Uploads stream
//! into objects without being held in memory; what a candidate sends is recognised by its first bytes, never by
//! what its headers claim.

pub mod mp4;
pub mod webm;
pub mod zip;

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
    /// Bytes of media writes held in memory, across every upload of this process, until the local disk has them:
    /// one permit per byte, given back by the writer thread once written (so no upload waits while holding any).
    /// A write that finds it spent waits, and so stops reading its request body — a slow disk slows the uploads
    /// down instead of growing the process.
    write_budget: WriteBudget,
    /// Emulates a slower disk (benchmarks): the local writers together write at most this many bytes a second.
    write_limit: Option<Arc<WriteLimit>>,
}

/// Bytes of media writes that may wait in memory, by default.
pub const DEFAULT_WRITE_BUFFER_BYTES: usize = 16 * 1024 * 1024;

/// The most a request body hands over at a time: the server reads a connection into a buffer of at most this size,
/// and a local write reserves this much of the budget before it reads a body's next chunk.
pub const BODY_CHUNK: usize = 32 * 1024;

/// The process-wide budget of bytes waiting to be written.
#[derive(Clone)]
struct WriteBudget {
    permits: Arc<tokio::sync::Semaphore>,
    total: usize,
}

impl WriteBudget {
    fn new(total: usize) -> Self {
        let total = total.clamp(1024 * 1024, tokio::sync::Semaphore::MAX_PERMITS);
        Self { permits: Arc::new(tokio::sync::Semaphore::new(total)), total }
    }

    /// Permits for `len` bytes: at least one, at most the whole budget.
    fn permits(&self, len: usize) -> u32 {
        len.clamp(1, self.total.min(u32::MAX as usize)) as u32
    }

    /// `len` bytes if they are free now.
    fn try_take(&self, len: usize) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.permits.clone().try_acquire_many_owned(self.permits(len)).ok()
    }

    /// Waits until `len` bytes (at most the whole budget) may be held; they are given back when the permit drops.
    async fn take(&self, len: usize) -> Result<tokio::sync::OwnedSemaphorePermit, WriteError> {
        let n = self.permits(len);
        let permit = match self.permits.clone().try_acquire_many_owned(n) {
            Ok(p) => p,
            Err(_) => {
                metrics::counter!("candor_media_write_waits_total").increment(1);
                self.permits.clone().acquire_many_owned(n).await.map_err(|e| WriteError::Store(e.into()))?
            }
        };
        metrics::gauge!("candor_media_write_buffered_bytes")
            .set((self.total - self.permits.available_permits()) as f64);
        Ok(permit)
    }
}

/// A cap on the local writers' combined rate: each write reserves its share of time and sleeps until then.
struct WriteLimit {
    bytes_per_second: f64,
    next_free: std::sync::Mutex<std::time::Instant>,
}

impl WriteLimit {
    /// Blocks the (writer) thread until `len` more bytes fit under the rate.
    fn wait(&self, len: usize) {
        let until = {
            let Ok(mut next) = self.next_free.lock() else { return };
            let now = std::time::Instant::now();
            let start = (*next).max(now);
            *next = start + std::time::Duration::from_secs_f64(len as f64 / self.bytes_per_second);
            *next
        };
        let now = std::time::Instant::now();
        if until > now {
            std::thread::sleep(until - now);
        }
    }
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

    /// Whether `head`, too short to tell ([`Container::sniff`] needs 4 bytes of WebM, 8 of MP4), could still begin
    /// a WebM or MP4 recording.
    pub fn could_begin(head: &[u8]) -> bool {
        const WEBM: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];
        let webm = head.len() < 4 && WEBM.starts_with(head);
        // MP4: any 4-byte box size, then `ftyp`.
        let mp4 = head.len() < 8 && (head.len() <= 4 || b"ftyp".starts_with(&head[4..]));
        webm || mp4
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Container::WebM => "webm",
            Container::Mp4 => "mp4",
        }
    }

    /// The container [`Container::as_str`] names.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "webm" => Some(Container::WebM),
            "mp4" => Some(Container::Mp4),
            _ => None,
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Container::WebM => "video/webm",
            Container::Mp4 => "video/mp4",
        }
    }

    /// The MIME type of a take stored with container name `stored` (as [`Container::as_str`] wrote it); WebM when
    /// unknown, as recorders mostly produce.
    pub fn mime_of(stored: Option<&str>) -> &'static str {
        if stored == Some(Container::Mp4.as_str()) { Container::Mp4.mime() } else { Container::WebM.mime() }
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
        Ok(Self {
            inner: Arc::new(fs),
            part_size: 256 * 1024,
            local_dir: Some(Arc::new(dir.canonicalize()?)),
            write_budget: WriteBudget::new(DEFAULT_WRITE_BUFFER_BYTES),
            write_limit: None,
        })
    }

    /// The media store a configuration names: `CANDOR_MEDIA_URL`, or the local directory `DATA_DIR/media`.
    pub fn from_config(config: &crate::Config) -> anyhow::Result<Self> {
        let mut store = match &config.media_url {
            None => Self::local(&config.data_dir.join("media"))?,
            Some(url) => Self::s3(url)?,
        };
        store.write_budget = WriteBudget::new(config.media_write_buffer_bytes);
        store.write_limit = config.media_write_limit_bytes_per_second.filter(|r| *r > 0).map(|r| {
            Arc::new(WriteLimit {
                bytes_per_second: r as f64,
                next_free: std::sync::Mutex::new(std::time::Instant::now()),
            })
        });
        Ok(store)
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
        Ok(Self {
            inner,
            part_size: 5 * 1024 * 1024,
            local_dir: None,
            write_budget: WriteBudget::new(DEFAULT_WRITE_BUFFER_BYTES),
            write_limit: None,
        })
    }

    /// Streams `body` into a new object at `key`, stopping at `max_len` bytes (then nothing is stored:
    /// `TooLarge`). With `sniff` (the bytes of the recording stored before this body, if any), the recording's first
    /// bytes must be WebM or MP4 (else nothing is stored: `NotMedia`) and the container is returned; a body that
    /// ends before the container can be told is stored when it could still begin one (the next body decides). A
    /// body that breaks off keeps what arrived. Returns the stored length.
    /// `expected`: the body's announced length, if any — a large body is written in larger parts.
    pub async fn write_stream<S, E>(
        &self,
        key: &str,
        mut body: S,
        max_len: u64,
        sniff: Option<&[u8]>,
        expected: Option<u64>,
    ) -> Result<(u64, Option<Container>, WriteEnd), WriteError>
    where
        S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut head: Vec<u8> = Vec::new();
        let mut container = None;
        let mut sink: Option<Sink> = None;
        let mut written: u64 = 0;
        let mut end = WriteEnd::Done;
        // Local writes reserve room in the process's budget before a chunk is read, so a write waiting for the disk
        // holds no chunk outside it (and its connection is not read further).
        let budget = self.local_dir.is_some().then_some(&self.write_budget);
        loop {
            let room = match (budget, sink.as_mut()) {
                (Some(budget), Some(Sink::File(f, _))) => match f.room(budget, BODY_CHUNK).await {
                    Ok(room) => Some(room),
                    Err(e) => {
                        if let Some(s) = sink.take() {
                            s.abort().await;
                        }
                        return Err(e);
                    }
                },
                (Some(budget), _) => Some(budget.take(BODY_CHUNK).await?),
                (None, _) => None,
            };
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
                if let Some(s) = sink.take() {
                    s.abort().await;
                }
                return Err(WriteError::TooLarge);
            }
            let chunk = if let Some(prior) = sniff
                && container.is_none()
            {
                head.extend_from_slice(&chunk);
                if prior.len() + head.len() < Container::SNIFF_LEN {
                    continue;
                }
                container = Some(Container::sniff(&[prior, &head].concat()).ok_or(WriteError::NotMedia)?);
                Bytes::from(std::mem::take(&mut head))
            } else {
                chunk
            };
            let s = match sink.as_mut() {
                Some(s) => s,
                None => sink.insert(self.open_sink(key, expected).await?),
            };
            written += chunk.len() as u64;
            if let Err(e) = s.put(chunk, room).await {
                // Nothing half-written stays behind: no temporary file, no incomplete multipart upload.
                if let Some(s) = sink.take() {
                    s.abort().await;
                }
                return Err(e);
            }
        }
        if !head.is_empty() {
            // Fewer bytes than the sniff waits for arrived in all.
            if matches!(end, WriteEnd::Done) {
                let all = [sniff.unwrap_or_default(), &head].concat();
                container = Container::sniff(&all);
                if container.is_none() && !Container::could_begin(&all) {
                    return Err(WriteError::NotMedia);
                }
                let s = sink.insert(self.open_sink(key, expected).await?);
                written += head.len() as u64;
                s.put(Bytes::from(head), None).await?;
            }
            // Broken off before the container could be told: store nothing.
        }
        if let Some(s) = sink {
            s.finish().await?;
        }
        Ok((written, container, end))
    }

    /// Where a streamed write goes: straight into a file of the local directory (each chunk written as it comes,
    /// no part buffer: less memory per upload and one copy less), or an object store multipart upload.
    async fn open_sink(&self, key: &str, expected: Option<u64>) -> Result<Sink, WriteError> {
        if let Some(dir) = &self.local_dir {
            let file = LocalFile::new(local_path(dir, key)?, self.write_limit.clone());
            return Ok(Sink::File(file, self.write_budget.clone()));
        }
        // Small bodies (a recorder's chunks) reach the store in small parts, so little waits in memory per request;
        // a large one (a whole file) in larger parts, written several at a time.
        let (part_size, in_flight) = match expected {
            Some(n) if n >= LARGE_BODY => (self.part_size.max(LARGE_PART), 4),
            _ => (self.part_size, 2),
        };
        let upload = self.inner.put_multipart(&ObjectPath::from(key)).await.map_err(anyhow::Error::from)?;
        Ok(Sink::Store(WriteMultipart::new_with_chunk_size(upload, part_size), in_flight))
    }

    /// Bytes `start..end` of an object. Players read media this way, range by range: from a local directory the
    /// file is read straight into the buffer that is sent (object_store's local reader zero-fills its buffer first,
    /// a third pass over every byte served).
    pub async fn read_range(&self, key: &str, start: u64, end: u64) -> anyhow::Result<Bytes> {
        let Some(dir) = &self.local_dir else {
            return Ok(self.inner.get_range(&ObjectPath::from(key), start..end).await?);
        };
        let path = local_path(dir, key)?;
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

    /// Stores `bytes` as a new object at `key`, the way an upload is stored (durably on a local directory; in parts,
    /// so S3 takes any size).
    pub async fn put(&self, key: &str, bytes: Bytes) -> anyhow::Result<()> {
        let len = bytes.len() as u64;
        let body = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(bytes)]);
        self.write_stream(key, body, u64::MAX, None, Some(len)).await?;
        Ok(())
    }

    /// The objects `parts` (key, length) one after the other, in memory: a take's segments.
    pub async fn read_concatenated(&self, parts: &[(&str, u64)]) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(parts.iter().map(|(_, len)| *len as usize).sum());
        for (key, len) in parts {
            out.extend_from_slice(&self.read_range(key, 0, *len).await?);
        }
        Ok(out)
    }

    /// Every stored piece of a take (`takes/…`), with when it was written (Unix ms), as the store lists them.
    pub fn list_takes(&self) -> futures_util::stream::BoxStream<'static, anyhow::Result<(String, i64)>> {
        self.inner
            .list(Some(&ObjectPath::from("takes")))
            .filter_map(|m| async move {
                match m {
                    Ok(m) if m.location.as_ref().ends_with(".part") => None,
                    Ok(m) => Some(Ok((m.location.to_string(), m.last_modified.timestamp_millis()))),
                    Err(e) => Some(Err(e.into())),
                }
            })
            .boxed()
    }

    /// On the local directory: removes temporary files of writes that never finished (a process killed mid-write)
    /// whose last change is older than `idle` — a write in progress changes its file all the time. Returns how many.
    pub fn remove_abandoned_partial_files(&self, idle: std::time::Duration) -> usize {
        fn walk(dir: &std::path::Path, idle: std::time::Duration, removed: &mut usize) {
            let Ok(entries) = std::fs::read_dir(dir) else { return };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(meta) = entry.metadata() else { continue };
                if meta.is_dir() {
                    walk(&path, idle, removed);
                } else if path.extension().is_some_and(|e| e == "part")
                    && meta.modified().ok().and_then(|m| m.elapsed().ok()).is_some_and(|age| age > idle)
                    && std::fs::remove_file(&path).is_ok()
                {
                    *removed += 1;
                }
            }
        }
        let mut removed = 0;
        if let Some(dir) = &self.local_dir {
            walk(dir, idle, &mut removed);
        }
        removed
    }

    /// Proves the store takes writes: writes, reads back and deletes a small object under `health/`.
    pub async fn check(&self, node: &str) -> anyhow::Result<()> {
        // Listing names the bucket itself (some servers accept writes to any name).
        self.inner
            .list_with_delimiter(Some(&ObjectPath::from("health")))
            .await
            .context("cannot list the media storage (does the bucket exist?)")?;
        let key = format!("health/{node}");
        let probe = Bytes::from_static(b"candor media check");
        self.put(&key, probe.clone()).await.context("cannot write to the media storage")?;
        let back = self.read_range(&key, 0, probe.len() as u64).await.context("cannot read from the media storage")?;
        anyhow::ensure!(back == probe, "the media storage returned other bytes than were written");
        self.delete(&key).await.context("cannot delete from the media storage")
    }

    /// Deletes an object; one that is already gone is fine.
    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self.inner.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// The file of `key` in a local media directory. Keys are Candor's own (`takes/<id>/<id>/<name>`); anything that
/// could leave the directory is refused.
fn local_path(dir: &std::path::Path, key: &str) -> anyhow::Result<std::path::PathBuf> {
    anyhow::ensure!(
        key.split('/').all(|part| !part.is_empty() && part != "." && part != ".."),
        "invalid media key {key:?}"
    );
    Ok(dir.join(key))
}

enum Sink {
    /// An object store multipart upload and how many parts may be in flight: what waits in memory is at most that
    /// many parts and the one filling, per upload. (Not under the process's budget: an upload holds its part until
    /// the store has it, and holding while waiting for more could leave two large uploads waiting on each other.)
    Store(WriteMultipart, usize),
    /// A local file, and the budget each chunk is held under until its writer thread has written it.
    File(LocalFile, WriteBudget),
}

impl Sink {
    /// Writes `chunk`; `room` is the budget reserved for it before it was read (local files), made to fit it.
    async fn put(&mut self, chunk: Bytes, room: Option<tokio::sync::OwnedSemaphorePermit>) -> Result<(), WriteError> {
        match self {
            Sink::Store(w, in_flight) => {
                drop(room);
                w.wait_for_capacity(*in_flight).await.map_err(anyhow::Error::from)?;
                w.put(chunk);
                Ok(())
            }
            Sink::File(f, budget) => {
                // The room is made to fit the chunk: what it holds beyond is given back, what it lacks is waited for.
                let want = budget.permits(chunk.len()) as usize;
                let mut permit = match room {
                    Some(room) => room,
                    None => f.room(budget, want).await?,
                };
                let held = permit.num_permits();
                if held > want {
                    drop(permit.split(held - want));
                } else if held < want {
                    permit.merge(f.room(budget, want - held).await?);
                }
                f.put(chunk, permit).await
            }
        }
    }

    async fn finish(self) -> Result<(), WriteError> {
        match self {
            Sink::Store(w, _) => {
                w.finish().await.map_err(anyhow::Error::from)?;
                Ok(())
            }
            Sink::File(f, _) => f.finish().await,
        }
    }

    async fn abort(self) {
        match self {
            Sink::Store(w, _) => {
                let _ = w.abort().await;
            }
            Sink::File(f, _) => f.abort().await,
        }
    }
}

/// A file written under a temporary name until it is complete (so a crash never leaves a partial object under its
/// key). Chunks are written by short blocking tasks, one at a time per file: while one writes, the chunks that arrive
/// meanwhile are gathered (up to [`LocalFile::BATCH`]) and written together by the next. No thread is held for an
/// upload while it waits for its client, and every byte waiting for the disk holds its share of the write budget,
/// given back once written. Committing makes the bytes and the name durable (`fdatasync`, rename, directory sync)
/// before the upload's new offset is recorded in the database, so the database never points at bytes a power cut
/// could take back. While a large body streams, the kernel is asked to start writing out each
/// [`LocalFile::WRITEBACK_EVERY`] bytes, so the final sync has little left to do and a long upload does not pile up
/// dirty pages. A file dropped before it is committed (an aborted write, a request whose connection went away) is
/// removed once its last write has ended.
struct LocalFile {
    tmp: std::path::PathBuf,
    path: std::path::PathBuf,
    limit: Option<Arc<WriteLimit>>,
    /// The file between writes (`None` before the first one and while one is in flight).
    open: Option<OpenFile>,
    /// The write in flight, which gives the file back.
    in_flight: Option<tokio::task::JoinHandle<std::io::Result<OpenFile>>>,
    /// Chunks gathered for the next write, and their share of the budget.
    batch: Vec<Bytes>,
    batch_permit: Option<tokio::sync::OwnedSemaphorePermit>,
    committed: bool,
}

struct OpenFile {
    file: std::fs::File,
    written: u64,
    flushed: u64,
}

impl OpenFile {
    /// `open`, or the temporary file created (with its directory) when nothing was written yet.
    fn or_create(open: Option<Self>, tmp: &std::path::Path, path: &std::path::Path) -> std::io::Result<Self> {
        if let Some(open) = open {
            return Ok(open);
        }
        std::fs::create_dir_all(media_dir(path)?)?;
        Ok(Self { file: std::fs::File::create(tmp)?, written: 0, flushed: 0 })
    }

    fn write(&mut self, batch: &[Bytes], limit: Option<&WriteLimit>) -> std::io::Result<()> {
        use std::io::Write;
        for chunk in batch {
            if let Some(limit) = limit {
                limit.wait(chunk.len());
            }
            self.file.write_all(chunk)?;
            self.written += chunk.len() as u64;
        }
        if self.written - self.flushed >= LocalFile::WRITEBACK_EVERY {
            start_writeback(&self.file, self.flushed, self.written - self.flushed);
            self.flushed = self.written;
        }
        Ok(())
    }
}

impl LocalFile {
    const WRITEBACK_EVERY: u64 = 8 * 1024 * 1024;
    /// The most gathered for one write while the write before it is in flight.
    const BATCH: usize = 1024 * 1024;

    fn new(path: std::path::PathBuf, limit: Option<Arc<WriteLimit>>) -> Self {
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut tmp = path.clone().into_os_string();
        tmp.push(format!(".{}-{n}.part", std::process::id()));
        Self {
            tmp: tmp.into(),
            path,
            limit,
            open: None,
            in_flight: None,
            batch: Vec::new(),
            batch_permit: None,
            committed: false,
        }
    }

    /// Waits for the write in flight; gives the file (`None` when nothing was written yet).
    async fn settle(&mut self) -> Result<Option<OpenFile>, WriteError> {
        match self.in_flight.take() {
            Some(write) => blocking_result(write.await).map(Some),
            None => Ok(self.open.take()),
        }
    }

    /// Adds `chunk` to the next write, and starts that write unless the one before is still in flight with room
    /// left in the batch; `permit` (the chunk's share of the budget) is given back when it is written.
    async fn put(&mut self, chunk: Bytes, permit: tokio::sync::OwnedSemaphorePermit) -> Result<(), WriteError> {
        self.batch.push(chunk);
        match &mut self.batch_permit {
            Some(held) => held.merge(permit),
            None => self.batch_permit = Some(permit),
        }
        let gathered: usize = self.batch.iter().map(Bytes::len).sum();
        if self.in_flight.as_ref().is_some_and(|w| !w.is_finished()) && gathered < Self::BATCH {
            return Ok(());
        }
        self.flush().await
    }

    /// Room for `len` more bytes in `budget`: at once if it is free, else after this file's gathered chunks have
    /// started to be written — so whatever holds the budget while anyone waits is being written and will give it
    /// back (no write waits on a batch that nothing writes).
    async fn room(
        &mut self,
        budget: &WriteBudget,
        len: usize,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, WriteError> {
        if let Some(room) = budget.try_take(len) {
            return Ok(room);
        }
        self.flush().await?;
        budget.take(len).await
    }

    /// Starts writing the gathered chunks, once the write in flight has ended. A write that is about to wait for the
    /// budget calls this first, so no gathered chunk holds budget while nothing writes it.
    async fn flush(&mut self) -> Result<(), WriteError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let open = self.settle().await?;
        let (batch, permit) = (std::mem::take(&mut self.batch), self.batch_permit.take());
        let (tmp, path, limit) = (self.tmp.clone(), self.path.clone(), self.limit.clone());
        self.in_flight = Some(tokio::task::spawn_blocking(move || {
            let mut open = OpenFile::or_create(open, &tmp, &path)?;
            open.write(&batch, limit.as_deref())?;
            drop((batch, permit));
            Ok(open)
        }));
        Ok(())
    }

    async fn finish(mut self) -> Result<(), WriteError> {
        self.flush().await?;
        let open = self.settle().await?;
        let (tmp, path) = (self.tmp.clone(), self.path.clone());
        let commit = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let open = OpenFile::or_create(open, &tmp, &path)?;
            open.file.sync_data()?;
            drop(open);
            std::fs::rename(&tmp, &path)?;
            std::fs::File::open(media_dir(&path)?)?.sync_all()
        });
        blocking_result(commit.await)?;
        self.committed = true;
        Ok(())
    }

    async fn abort(mut self) {
        let _ = self.settle().await;
        // Dropping removes the temporary file.
    }
}

/// The directory a media file is in.
fn media_dir(path: &std::path::Path) -> std::io::Result<&std::path::Path> {
    path.parent().ok_or_else(|| std::io::Error::other("media path without a directory"))
}

/// What a blocking file task gave, its I/O error or its panic as the write's error.
fn blocking_result<T>(joined: Result<std::io::Result<T>, tokio::task::JoinError>) -> Result<T, WriteError> {
    match joined {
        Ok(result) => result.map_err(|e| WriteError::Store(e.into())),
        Err(e) => Err(WriteError::Store(e.into())),
    }
}

impl Drop for LocalFile {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        self.open = None;
        let (tmp, in_flight) = (std::mem::take(&mut self.tmp), self.in_flight.take());
        let remove = move || {
            let _ = std::fs::remove_file(&tmp);
        };
        match (in_flight, tokio::runtime::Handle::try_current()) {
            // The write in flight may still create the file: remove it after that write.
            (Some(write), Ok(rt)) => {
                rt.spawn(async move {
                    let _ = write.await;
                    let _ = tokio::task::spawn_blocking(remove).await;
                });
            }
            (None, Ok(rt)) => drop(rt.spawn_blocking(remove)),
            (_, Err(_)) => remove(),
        }
    }
}

/// Asks the kernel to start writing `len` bytes of `file` from `offset` out to the disk, without waiting for it.
#[cfg(target_os = "linux")]
fn start_writeback(file: &std::fs::File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else { return };
    // SAFETY: sync_file_range only reads its integer arguments; the descriptor stays open for the call.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &std::fs::File, _offset: u64, _len: u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The files under `dir`, under temporary names or not.
    fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
        entries
            .filter_map(|e| e.ok())
            .flat_map(|e| {
                let path = e.path();
                if path.is_dir() { files_under(&path) } else { vec![path] }
            })
            .collect()
    }

    /// Bytes written so far to the media file at `path`, under its temporary name or (once committed) its own. Each
    /// name is looked at again after the directory is read, so a rename while it is read counts the file once, not
    /// never.
    fn written_to(path: &std::path::Path) -> u64 {
        let len = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).ok();
        if let Some(n) = len(path) {
            return n;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let part = files_under(path.parent().unwrap())
            .into_iter()
            .find(|p| p.file_name().is_some_and(|f| f.to_string_lossy().starts_with(&format!("{name}."))));
        part.and_then(|p| len(&p)).or_else(|| len(path)).unwrap_or(0)
    }

    /// Eight uploads at once onto a disk slower than they arrive, through a budget smaller than what they would
    /// queue: each is stored whole, and the bodies are never read further ahead of the disk than the budget plus,
    /// per upload, one chunk's excess over the room reserved before it was read (the test's chunks are twice that
    /// room, so each waits in hand for the rest of its room before it is written).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_disk_holds_the_bodies_back_not_memory() {
        use std::sync::atomic::{AtomicU64, Ordering};
        const CHUNK: usize = 64 * 1024;
        const UPLOADS: usize = 8;
        const EACH: usize = 16 * CHUNK;
        let dir = tempfile::tempdir().unwrap();
        let mut store = MediaStore::local(dir.path()).unwrap();
        store.write_budget = WriteBudget::new(1024 * 1024);
        store.write_limit = Some(Arc::new(WriteLimit {
            bytes_per_second: 8e6,
            next_free: std::sync::Mutex::new(std::time::Instant::now()),
        }));
        let pulled = Arc::new(AtomicU64::new(0));
        let mut writes = Vec::new();
        for u in 0..UPLOADS {
            let (store, pulled) = (store.clone(), pulled.clone());
            writes.push(tokio::spawn(async move {
                let mut data = vec![0x1A, 0x45, 0xDF, 0xA3];
                data.resize(EACH, u as u8);
                let chunks: Vec<Bytes> = data.chunks(CHUNK).map(Bytes::copy_from_slice).collect();
                let body = futures_util::stream::iter(chunks).map(move |c| {
                    pulled.fetch_add(c.len() as u64, Ordering::SeqCst);
                    Ok::<_, std::convert::Infallible>(c)
                });
                let key = format!("takes/i/t{u}/0");
                let (len, container, _) =
                    store.write_stream(&key, Box::pin(body), u64::MAX, Some(&[]), None).await.unwrap();
                assert_eq!((len as usize, container), (EACH, Some(Container::WebM)));
                assert_eq!(store.read_range(&key, 0, len).await.unwrap(), data);
            }));
        }
        let mut ahead_most = 0u64;
        while !writes.iter().all(|w| w.is_finished()) {
            let pulled_now = pulled.load(Ordering::SeqCst);
            let disk: u64 = (0..UPLOADS).map(|u| written_to(&dir.path().join(format!("takes/i/t{u}/0")))).sum();
            ahead_most = ahead_most.max(pulled_now.saturating_sub(disk));
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        for w in writes {
            w.await.unwrap();
        }
        // Each upload may hold in hand one chunk's excess over the room it reserved; the last chunk is for a file
        // created while its directory was being read.
        let bound = (1024 * 1024 + UPLOADS * (CHUNK - BODY_CHUNK) + CHUNK) as u64;
        assert!(ahead_most <= bound, "read {ahead_most} bytes ahead of the disk (bound {bound})");
        assert_eq!(store.write_budget.permits.available_permits(), store.write_budget.total, "all given back");
    }

    /// A write whose request goes away part-way (its future dropped, as when the connection closes) leaves no
    /// temporary file behind, even while a chunk of it is being written.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_dropped_part_way_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = MediaStore::local(dir.path()).unwrap();
        store.write_limit = Some(Arc::new(WriteLimit {
            bytes_per_second: 1e6,
            next_free: std::sync::Mutex::new(std::time::Instant::now()),
        }));
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
        let body = Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|c| (Ok::<_, std::convert::Infallible>(c), rx))
        }));
        let write =
            tokio::spawn(async move { store.write_stream("takes/i/t/0", body, u64::MAX, Some(&[]), None).await });
        // A chunk that takes a quarter of a second to write at this rate: the write is dropped once its file
        // exists, while the chunk is still on its way to it.
        let mut first = vec![0x1A, 0x45, 0xDF, 0xA3];
        first.resize(250_000, 7);
        tx.send(Bytes::from(first)).await.unwrap();
        let files = || files_under(dir.path());
        let started = std::time::Instant::now();
        while files().is_empty() {
            assert!(started.elapsed() < std::time::Duration::from_secs(5), "no file was made");
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        write.abort();
        assert!(write.await.unwrap_err().is_cancelled());
        let started = std::time::Instant::now();
        while !files().is_empty() {
            assert!(started.elapsed() < std::time::Duration::from_secs(5), "left behind: {:?}", files());
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        drop(tx);
    }

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

    #[test]
    fn a_short_beginning_may_still_become_a_recording() {
        assert!(Container::could_begin(b""));
        assert!(Container::could_begin(&[0x1A, 0x45]));
        assert!(Container::could_begin(b"\0\0\0\x20"));
        assert!(Container::could_begin(b"\0\0\0\x20fty"));
        assert!(!Container::could_begin(b"\0\0\0\x20moov"[..7].as_ref()));
        assert!(!Container::could_begin(b"<html>"));
    }
}
