//! Raw pointers from C, checked: every exported function reads its
//! arguments and writes its results through these helpers (and the
//! callbacks through `driver.rs`). Only `core`: see `hosted.rs` for the
//! parts that need `std`.

use core::ffi::{c_char, c_int};
use core::fmt;
use core::mem::MaybeUninit;

use carp_ctl::{CtlError, IFNAMSIZ};
use carp_sysctl::{Snippet, SysctlError};

use crate::errno::Error;

/// Longest sysctl name read, NUL excluded (the longest carp node is 37
/// bytes); a longer one is no node.
const SYSCTL_NAME_MAX: usize = 127;

/// The value of a call, or its error's code.
pub(crate) fn code(result: Result<c_int, Error>) -> c_int {
    result.unwrap_or_else(Error::to_errno)
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

/// A NUL-terminated string at `ptr`, read up to its NUL or `max` bytes,
/// whichever comes first: `Ok(Some)` with the text, `Ok(None)` when no
/// NUL came within `max` bytes.
///
/// # Safety
/// If `ptr` is not NULL it must be valid for reads up to and including
/// its NUL, or for `max` bytes.
unsafe fn c_str<'a>(
    ptr: *const c_char,
    max: usize,
    what: &'static str,
) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() {
        return Err(Error::Null(what));
    }
    let mut len = 0;
    loop {
        if len == max {
            return Ok(None);
        }
        // SAFETY: bytes before the NUL are readable (caller), and no byte
        // past the first NUL or past `max` is read.
        if unsafe { ptr.add(len).read() } == 0 {
            break;
        }
        len += 1;
    }
    // SAFETY: the `len` bytes just read are valid and not written during
    // the call (caller).
    let raw = unsafe { core::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    core::str::from_utf8(raw)
        .map(Some)
        .map_err(|_| Error::NotUtf8)
}

/// An interface name (`em0`, `carp0`): NUL-terminated, at most 15 bytes
/// before the NUL (IFNAMSIZ with its NUL). Whether it is a valid name is
/// the engine's to say.
///
/// # Safety
/// As [`c_str`].
pub(crate) unsafe fn ifname<'a>(ptr: *const c_char, what: &'static str) -> Result<&'a str, Error> {
    // SAFETY: forwarded contract.
    match unsafe { c_str(ptr, IFNAMSIZ, what) }? {
        Some(name) => Ok(name),
        None => {
            // SAFETY: no NUL within IFNAMSIZ bytes, so all are readable.
            let raw = unsafe { core::slice::from_raw_parts(ptr.cast::<u8>(), IFNAMSIZ) };
            let shown = core::str::from_utf8(raw).unwrap_or("");
            Err(Error::Ctl(CtlError::bad_ifname(0, shown)))
        }
    }
}

/// A sysctl name (`net.inet.carp.preempt` or `preempt`), NUL-terminated.
///
/// # Safety
/// As [`c_str`].
pub(crate) unsafe fn sysctl_name<'a>(ptr: *const c_char) -> Result<&'a str, Error> {
    // SAFETY: forwarded contract.
    match unsafe { c_str(ptr, SYSCTL_NAME_MAX + 1, "name") }? {
        Some(name) => Ok(name),
        None => Err(Error::Ctl(CtlError::Sysctl(SysctlError::UnknownName(
            Snippet::new(""),
        )))),
    }
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

/// Text written into a caller's buffer, as `snprintf` does: what fits
/// before a NUL is kept, and the full length is counted.
pub(crate) struct TextOut<'a> {
    buf: &'a mut [MaybeUninit<u8>],
    /// Bytes of text so far, kept or not.
    len: usize,
}

impl<'a> TextOut<'a> {
    /// Writes into `buf` (which may be empty: then only counts).
    pub(crate) fn new(buf: &'a mut [MaybeUninit<u8>]) -> TextOut<'a> {
        TextOut { buf, len: 0 }
    }

    /// Ends the text with a NUL (where it was cut, if it was) and returns
    /// its full length, NUL excluded, saturated to `c_int`.
    pub(crate) fn finish(self) -> c_int {
        let at = self.len.min(self.buf.len().saturating_sub(1));
        if let Some(slot) = self.buf.get_mut(at) {
            slot.write(0);
        }
        c_int::try_from(self.len).unwrap_or(c_int::MAX)
    }
}

impl fmt::Write for TextOut<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.buf.len().saturating_sub(1);
        for (i, b) in s.bytes().enumerate() {
            let at = self.len.saturating_add(i);
            if at >= room {
                break;
            }
            if let Some(slot) = self.buf.get_mut(at) {
                slot.write(b);
            }
        }
        self.len = self.len.saturating_add(s.len());
        Ok(())
    }
}

/// Writes `text` (any `Display`) into `buf` of `len` bytes, NUL-terminated
/// and cut to fit; returns its full length. `buf` may be NULL when `len`
/// is 0 (to ask for the length).
///
/// # Safety
/// `buf` is NULL or valid for `len` bytes of writes.
pub(crate) unsafe fn write_text(
    buf: *mut c_char,
    len: usize,
    text: impl FnOnce(&mut TextOut<'_>),
) -> Result<c_int, Error> {
    let mut empty: [MaybeUninit<u8>; 0] = [];
    let slots = if buf.is_null() && len == 0 {
        &mut empty[..]
    } else {
        // SAFETY: forwarded contract.
        unsafe { out_slice(buf.cast::<u8>(), len, "buf") }?
    };
    let mut out = TextOut::new(slots);
    text(&mut out);
    Ok(out.finish())
}
