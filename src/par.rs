//! Two jobs side by side, within the threads `-j` allows.

/// Runs `a` on this thread and `b` on a thread of its own when the current rayon pool (the
/// global one, which the command line sizes by `-j`) has more than one thread, else one
/// after the other; `b` runs here too when the system will not start a thread. For the
/// short serial steps at the end of a run (a few ms each), where rayon's `join` left `b` to
/// the thread that ran `a` three times in four: its other thread was not woken in time.
pub fn beside<A, B: Send>(a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, B) {
    if rayon::current_num_threads() < 2 {
        return (a(), b());
    }
    // Shared, so that `b` is still here to run when the thread cannot be started.
    let b = std::sync::Mutex::new(Some(b));
    let take = || b.lock().unwrap_or_else(|e| e.into_inner()).take();
    std::thread::scope(|scope| {
        let other = std::thread::Builder::new()
            .name("errlens-beside".into())
            .spawn_scoped(scope, || take().map(|b| b()));
        let ra = a();
        let rb = match other {
            Ok(h) => h
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
                .expect("the thread takes b first"),
            Err(_) => take().expect("no thread took b")(),
        };
        (ra, rb)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_run_once_and_their_results_come_back_in_order() {
        let ran = std::sync::atomic::AtomicUsize::new(0);
        let (a, b) = beside(
            || {
                ran.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                "a"
            },
            || {
                ran.fetch_add(10, std::sync::atomic::Ordering::Relaxed);
                std::thread::current().name().map(str::to_owned)
            },
        );
        assert_eq!(a, "a");
        assert_eq!(ran.into_inner(), 11);
        // On a thread of its own whenever the global pool has more than one thread.
        if rayon::current_num_threads() > 1 {
            assert_eq!(b.as_deref(), Some("errlens-beside"));
        }
    }
}
