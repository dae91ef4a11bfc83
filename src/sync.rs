//! Locks shared between threads.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`. A poisoned lock only means another thread panicked mid-update; what it
/// guards (counters, caches, claims) is still usable, and a bot that stopped answering
/// for it would be worse.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
