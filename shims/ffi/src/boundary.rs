//! The discipline every exported function follows: catch panics, check
//! pointers, turn errors into codes. Nothing else in the crate touches a
//! raw pointer from C except through these helpers and `driver.rs`.

use core::ffi::{c_char, c_int};
use core::mem::MaybeUninit;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::errno::{Error, CARP_ENOTRECOVERABLE};

/// Runs `body`, returning its value or its error's code; a panic becomes
/// `CARP_ENOTRECOVERABLE` instead of unwinding into C.
pub(crate) fn guard(body: impl FnOnce() -> Result<c_int, Error>) -> c_int {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => value,
        Ok(Err(e)) => e.to_errno(),
        Err(_) => CARP_ENOTRECOVERABLE,
    }
}

/// `len` bytes at `ptr`, borrowed for the call.
///
/// # Safety
/// If `ptr` is not NULL it must be valid for `len` bytes of reads, not
/// written during the call.
pub(crate) unsafe fn bytes<'a>(
    ptr: *const u8,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8], Error> {
    if ptr.is_null() {
        return Err(Error::Null(what));
    }
    if isize::try_from(len).is_err() {
        return Err(Error::Length {
            what,
            want: isize::MAX as usize,
            got: len,
        });
    }
    // SAFETY: not NULL, valid for `len` reads (caller), `len` fits isize;
    // u8 has no alignment or validity requirement.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// `len` bytes of UTF-8 text at `ptr` (no NUL needed).
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn text<'a>(
    ptr: *const c_char,
    len: usize,
    what: &'static str,
) -> Result<&'a str, Error> {
    // SAFETY: forwarded contract; c_char and u8 have the same layout.
    let raw = unsafe { bytes(ptr.cast::<u8>(), len, what) }?;
    core::str::from_utf8(raw).map_err(|_| Error::NotUtf8)
}

/// Room for `len` values of `T` at `ptr`, to be written.
///
/// # Safety
/// If `ptr` is not NULL it must be aligned for `T` and valid for writes of
/// `len` values of `T`, not accessed otherwise during the call.
pub(crate) unsafe fn out_slice<'a, T>(
    ptr: *mut T,
    len: usize,
    what: &'static str,
) -> Result<&'a mut [MaybeUninit<T>], Error> {
    if ptr.is_null() {
        return Err(Error::Null(what));
    }
    let fits = len
        .checked_mul(core::mem::size_of::<T>())
        .is_some_and(|n| isize::try_from(n).is_ok());
    if !fits {
        return Err(Error::Length {
            what,
            want: isize::MAX as usize / core::mem::size_of::<T>().max(1),
            got: len,
        });
    }
    // SAFETY: not NULL, aligned and valid for `len` writes (caller); the
    // total size fits isize; MaybeUninit makes no claim the memory is
    // initialised.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr.cast::<MaybeUninit<T>>(), len) })
}

/// Stores `value` at `ptr`.
///
/// # Safety
/// If `ptr` is not NULL it must be aligned for `T` and valid for a write.
pub(crate) unsafe fn put<T>(ptr: *mut T, value: T, what: &'static str) -> Result<(), Error> {
    // SAFETY: forwarded contract, for one value.
    let slot = unsafe { out_slice(ptr, 1, what) }?;
    if let Some(s) = slot.first_mut() {
        s.write(value);
    }
    Ok(())
}

/// Stores `value` at `ptr` when `ptr` is not NULL (optional out-arguments).
///
/// # Safety
/// As [`put`].
pub(crate) unsafe fn put_opt<T>(ptr: *mut T, value: T) {
    if !ptr.is_null() {
        // SAFETY: forwarded contract; NULL excluded above.
        let _ = unsafe { put(ptr, value, "out") };
    }
}
