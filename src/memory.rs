//! Giving freed memory back between a run's phases.
//!
//! glibc's malloc keeps what a thread frees in that thread's arena. The reading phase frees
//! its chunk buffers and partial aggregates on worker threads, the offenders analysis frees
//! its batches on threads of its own, and the next phase, allocating on other threads, cannot
//! reuse that memory: the peaks of the phases add up. Trimming between phases returns the free
//! pages of every arena to the system, so the peak is that of the largest phase alone.

/// Returns the free memory of every malloc arena to the system (glibc only; a no-op elsewhere).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists, under its locks; it has
    // no preconditions and cannot invalidate live allocations.
    unsafe {
        libc::malloc_trim(0);
    }
}
