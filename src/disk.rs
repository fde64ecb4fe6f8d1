//! Free space on the disk that holds `DATA_DIR` (the SQLite database, local media, the outbox): read with
//! `statvfs`, cached for a few seconds so pages and uploads can ask on every request.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// How long a reading is reused.
const FRESH_FOR: Duration = Duration::from_secs(5);

/// The free space on one folder's file system, and the thresholds that matter to Candor.
#[derive(Clone)]
pub struct DiskSpace {
    path: PathBuf,
    /// Below this many free bytes, new takes are refused (507): what is left is for takes already recording.
    pub reserve: u64,
    /// Below this many free bytes, admins see a warning on every page.
    pub warn_below: u64,
    cached: Arc<Cached>,
}

#[derive(Default)]
struct Cached {
    /// Free bytes at the last reading; `u64::MAX` when the file system cannot be asked.
    free: AtomicU64,
    /// When it was read, in milliseconds since the process's first reading; 0: never.
    at_ms: AtomicI64,
}

impl DiskSpace {
    pub fn new(path: impl Into<PathBuf>, reserve: u64, warn_below: u64) -> Self {
        Self { path: path.into(), reserve, warn_below, cached: Arc::default() }
    }

    /// Free bytes available to this process, or `None` when the file system cannot tell.
    pub fn free_bytes(&self) -> Option<u64> {
        let now = monotonic_ms();
        let at = self.cached.at_ms.load(Ordering::Relaxed);
        let free = if at == 0 || now - at > FRESH_FOR.as_millis() as i64 {
            let free = statvfs_free(&self.path).unwrap_or(u64::MAX);
            self.cached.free.store(free, Ordering::Relaxed);
            self.cached.at_ms.store(now.max(1), Ordering::Relaxed);
            free
        } else {
            self.cached.free.load(Ordering::Relaxed)
        };
        (free != u64::MAX).then_some(free)
    }

    /// Whether a new recording may begin: free space above the reserve.
    pub fn takes_new_recordings(&self) -> bool {
        self.free_bytes().is_none_or(|free| free >= self.reserve)
    }

    /// A warning for admins when free space is low.
    pub fn warning(&self) -> Option<String> {
        let free = self.free_bytes()?;
        (free < self.warn_below).then(|| {
            let refused = if free < self.reserve {
                " New recordings are refused until space is freed."
            } else {
                " Below the reserve, candidates cannot start new recordings."
            };
            format!(
                "The server's disk is nearly full: {} free of the data folder's file system (reserve {}).{refused}",
                human_bytes(free),
                human_bytes(self.reserve)
            )
        })
    }
}

fn monotonic_ms() -> i64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed().as_millis() as i64 + 1
}

/// `1.5 GiB`, `300 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{n} bytes") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(target_os = "linux")]
fn statvfs_free(path: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c` is a NUL-terminated path and `st` a properly sized out-parameter, as statvfs(3) requires.
    let rc = unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled `st`.
    let st = unsafe { st.assume_init() };
    #[allow(clippy::unnecessary_cast)] // the field types differ between targets
    Some((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
}

#[cfg(not(target_os = "linux"))]
fn statvfs_free(_path: &std::path::Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_of_a_real_folder_is_read_and_judged() {
        let dir = std::env::temp_dir();
        let disk = DiskSpace::new(&dir, 0, 0);
        let free = disk.free_bytes().expect("statvfs answers on Linux");
        assert!(free > 0);
        assert!(disk.takes_new_recordings());
        assert_eq!(disk.warning(), None);
        let full = DiskSpace::new(&dir, u64::MAX - 1, u64::MAX - 1);
        assert!(!full.takes_new_recordings());
        let w = full.warning().expect("a warning");
        assert!(w.contains("nearly full") && w.contains("refused"), "{w}");
    }

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }
}
