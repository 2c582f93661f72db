//! Eight bytes at a time (SWAR): flags for the bytes of a word that equal a byte, or are below
//! one, and a search over a span in whole words (`find_words`). Values and lines are short, so
//! this beats a call to memchr per search.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Eight bytes as a little-endian word (the first byte lowest); `b` holds eight bytes.
#[inline(always)]
pub(crate) fn word(b: &[u8]) -> u64 {
    u64::from_le_bytes(b.try_into().unwrap_or_default())
}

/// The high bit of each byte of `w` equal to `b`. Only the lowest flag is exact (a borrow can
/// flag a byte above a true one), which is the one a search wants; any flag at all is exact.
#[inline(always)]
pub(crate) fn equal(w: u64, b: u8) -> u64 {
    let x = w ^ (ONES * b as u64);
    x.wrapping_sub(ONES) & !x & HIGH
}

/// The high bit of each byte of `w` below `b` (at most 0x80), exact as [`equal`] is.
#[inline(always)]
pub(crate) fn below(w: u64, b: u8) -> u64 {
    w.wrapping_sub(ONES * b as u64) & !w & HIGH
}

/// The first `Some` of `f` over the starts of words that cover `n` bytes (at least eight):
/// each whole word, then the last eight bytes, overlapping the word before, when `n` is not
/// a multiple of eight. No byte loop over the rest, whose count changes from one value to
/// the next (a mispredicted exit each time).
#[inline(always)]
pub(crate) fn find_words<T>(n: usize, mut f: impl FnMut(usize) -> Option<T>) -> Option<T> {
    debug_assert!(n >= 8);
    let mut at = 0;
    while at + 8 <= n {
        if let Some(x) = f(at) {
            return Some(x);
        }
        at += 8;
    }
    if at < n { f(n - 8) } else { None }
}

/// The index of the lowest flagged byte (flags not zero).
#[inline(always)]
pub(crate) fn first(flags: u64) -> usize {
    (flags.trailing_zeros() / 8) as usize
}
