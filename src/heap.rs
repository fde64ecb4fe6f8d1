//! The process's heap as jemalloc counts it, for `/metrics`: what the program holds (`allocated`) against what the
//! allocator keeps in memory for it (`resident`, its own bookkeeping and the freed pages it has not given back yet
//! included). SQLite is not in them: it allocates with the C library's `malloc` (`crate::store::sqlite_memory` has
//! its figures). Only the `candor` binary has jemalloc as its allocator; it says so with
//! [`jemalloc_is_the_allocator`], and until then [`figures`] has nothing to tell.

use std::sync::atomic::{AtomicBool, Ordering};

static JEMALLOC: AtomicBool = AtomicBool::new(false);

/// Called by a binary whose global allocator is jemalloc.
pub fn jemalloc_is_the_allocator() {
    JEMALLOC.store(true, Ordering::Relaxed);
}

/// Bytes of the heap, as of now.
#[derive(Debug, Clone, Copy)]
pub struct Heap {
    pub allocated: u64,
    pub resident: u64,
}

/// The heap's figures, when jemalloc is the allocator.
pub fn figures() -> Option<Heap> {
    if !JEMALLOC.load(Ordering::Relaxed) {
        return None;
    }
    // jemalloc's statistics are a snapshot taken when its epoch is advanced.
    let mut epoch: u64 = 1;
    // SAFETY: "epoch" takes a u64 written from a valid pointer of that size, and gives nothing back.
    let advanced = unsafe {
        tikv_jemalloc_sys::mallctl(
            c"epoch".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            (&raw mut epoch).cast(),
            size_of::<u64>(),
        )
    };
    if advanced != 0 {
        return None;
    }
    Some(Heap { allocated: read(c"stats.allocated")?, resident: read(c"stats.resident")? })
}

/// One of jemalloc's `size_t` statistics.
fn read(name: &std::ffi::CStr) -> Option<u64> {
    let mut value: usize = 0;
    let mut len = size_of::<usize>();
    // SAFETY: the statistics read here are `size_t`, written into `value` of that size; `len` says how big it is.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctl(name.as_ptr(), (&raw mut value).cast(), &raw mut len, std::ptr::null_mut(), 0)
    };
    (rc == 0 && len == size_of::<usize>()).then_some(value as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_count_what_jemalloc_holds() {
        // The tests' allocator is the system's; an allocation made through jemalloc itself is what it counts.
        jemalloc_is_the_allocator();
        let before = figures().expect("jemalloc's statistics");
        let len = 8 * 1024 * 1024;
        // SAFETY: a plain allocation, written to so that its pages are resident, freed below.
        let block = unsafe { tikv_jemalloc_sys::malloc(len) };
        assert!(!block.is_null());
        // SAFETY: `block` is `len` bytes long.
        unsafe { std::ptr::write_bytes(block.cast::<u8>(), 1, len) };
        let during = figures().expect("jemalloc's statistics");
        // SAFETY: allocated above by the same allocator, freed once.
        unsafe { tikv_jemalloc_sys::free(block) };
        assert!(during.allocated >= before.allocated + len as u64, "{before:?} then {during:?}");
        assert!(during.resident >= during.allocated, "{during:?}");
        assert!(figures().expect("jemalloc's statistics").allocated < during.allocated);
    }
}
