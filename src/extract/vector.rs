//! Sixteen bytes at a time (SSE2, always there on x86-64; byte by byte elsewhere): flags for
//! the bytes that end a string's plain run, and for the bytes two blocks share. Strings and
//! literals of a log line are mostly 10 to 50 bytes, so one block test replaces two or more
//! word tests (see [`super::swar`]) and their branches. And a whole line's [`Marks`], 64
//! bytes at a time, where the CPU has AVX-512.

/// Bytes that end the plain run of a string: quote, backslash, control characters.
pub(crate) static STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// One bit per byte of `block` (16 bytes; bit `k` for byte `k`) that is `"`, `\` or below
/// 0x20: the bytes that end a string's plain run.
#[inline(always)]
pub(crate) fn stops(block: &[u8]) -> u32 {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8,
        };
        assert!(block.len() >= 16);
        // SAFETY: SSE2 is part of x86-64; `block` holds the 16 bytes loaded (asserted
        // above), and the load has no alignment requirement.
        unsafe {
            let v = _mm_loadu_si128(block.as_ptr() as *const __m128i);
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            // Below 0x20 exactly when max(byte, 0x1f) is 0x1f.
            let low = _mm_set1_epi8(0x1f);
            let control = _mm_cmpeq_epi8(_mm_max_epu8(v, low), low);
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
        }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        block[..16]
            .iter()
            .enumerate()
            .fold(0, |bits, (k, &c)| bits | (u32::from(STOP[c as usize]) << k))
    }
}

/// One bit per byte (bit `k` for byte `k`) where the 16-byte blocks `a` and `b` agree.
#[inline(always)]
pub(crate) fn equal(a: &[u8], b: &[u8]) -> u32 {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8};
        assert!(a.len() >= 16 && b.len() >= 16);
        // SAFETY: as in `stops`, with both blocks' 16 bytes asserted above.
        unsafe {
            let x = _mm_loadu_si128(a.as_ptr() as *const __m128i);
            let y = _mm_loadu_si128(b.as_ptr() as *const __m128i);
            _mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) as u32
        }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        (0..16).fold(0, |bits, k| bits | (u32::from(a[k] == b[k]) << k))
    }
}

/// Longest line [`Marks`] are made for; longer ones are matched without.
pub(crate) const MAX_LINE: usize = 2048;
const WORDS: usize = MAX_LINE / 64;

/// Where a line's string stops (quotes, backslashes, control bytes, as [`STOP`]) and digits
/// are, found once for every layout the line is tried against: a string's plain run then ends
/// at the stop after its opening quote (a shift and a bit count in a word), and a number's
/// digits are a run of bits, where each was read block by block or byte by byte. Made 64
/// bytes at a time with AVX-512, where the CPU has it (checked at run time: the build targets
/// plain x86-64); elsewhere only in tests, byte by byte, so that what reads them is tested on
/// every machine.
pub(crate) struct Marks {
    /// One bit per byte that ends a string's plain run.
    stops: [u64; WORDS],
    /// One bit per byte that is an ASCII digit.
    digits: [u64; WORDS],
    /// Words marked (those of the line's bytes).
    words: usize,
    /// Whether this CPU makes marks 64 bytes at a time.
    wide: bool,
}

impl std::fmt::Debug for Marks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Marks").field("words", &self.words).finish()
    }
}

impl Default for Marks {
    fn default() -> Self {
        #[cfg(target_arch = "x86_64")]
        let wide = is_x86_feature_detected!("avx512bw") && is_x86_feature_detected!("bmi2");
        #[cfg(not(target_arch = "x86_64"))]
        let wide = false;
        Marks {
            stops: [0; WORDS],
            digits: [0; WORDS],
            words: 0,
            wide,
        }
    }
}

impl Marks {
    /// Marks `b`; `false` when it is longer than [`MAX_LINE`], or the CPU has no AVX-512
    /// (outside tests): the marks are then not to be used.
    #[inline]
    pub(crate) fn read(&mut self, b: &[u8]) -> bool {
        self.words = 0;
        if b.len() > MAX_LINE {
            return false;
        }
        #[cfg(target_arch = "x86_64")]
        if self.wide {
            // SAFETY: `wide` says the CPU has what `read_wide` uses.
            unsafe { self.read_wide(b) };
            return true;
        }
        #[cfg(test)]
        {
            self.read_bytes(b);
            true
        }
        #[cfg(not(test))]
        false
    }

    /// [`Marks::read`] 64 bytes at a time, for a line of at most [`MAX_LINE`] bytes.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512bw,bmi2")]
    fn read_wide(&mut self, b: &[u8]) {
        use std::arch::x86_64::{
            __m512i, _bzhi_u64, _mm512_cmpeq_epi8_mask, _mm512_cmple_epu8_mask,
            _mm512_cmplt_epu8_mask, _mm512_loadu_si512, _mm512_maskz_loadu_epi8, _mm512_set1_epi8,
            _mm512_sub_epi8,
        };
        // The 64 bytes from `at`, when there are as many.
        let load = |at: usize| {
            let block = b.get(at..at.checked_add(64)?)?;
            // SAFETY: `block` holds the 64 bytes loaded; the load needs no alignment.
            Some(unsafe { _mm512_loadu_si512(block.as_ptr() as *const __m512i) })
        };
        let mut w = 0;
        while w * 64 < b.len() {
            let at = w * 64;
            // The last block, when it is short, as the line's last 64 bytes (their bits shifted
            // down to its start), or masked when the whole line is shorter than that (a masked
            // load for every block was slower than the 16-byte loop it replaced).
            let left = b.len() - at;
            let (v, shift) = if let Some(v) = load(at) {
                (v, 0)
            } else if let Some(v) = b.len().checked_sub(64).and_then(load) {
                (v, 64 - left as u32)
            } else {
                let mask = _bzhi_u64(u64::MAX, left as u32);
                // SAFETY: the mask covers the `left` bytes from `at`, all within `b`; a masked
                // load touches no byte outside its mask.
                let p = unsafe { b.as_ptr().add(at) } as *const i8;
                (unsafe { _mm512_maskz_loadu_epi8(mask, p) }, 0)
            };
            let valid = _bzhi_u64(u64::MAX, left.min(64) as u32);
            let stops = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'"' as i8))
                | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'\\' as i8))
                | _mm512_cmple_epu8_mask(v, _mm512_set1_epi8(0x1f));
            let digits = _mm512_cmplt_epu8_mask(
                _mm512_sub_epi8(v, _mm512_set1_epi8(b'0' as i8)),
                _mm512_set1_epi8(10),
            );
            self.stops[w] = stops >> shift & valid;
            self.digits[w] = digits >> shift & valid;
            w += 1;
        }
        self.words = w;
    }

    /// [`Marks::read`] byte by byte, for a line of at most [`MAX_LINE`] bytes: for tests.
    #[cfg(test)]
    fn read_bytes(&mut self, b: &[u8]) {
        self.words = b.len().div_ceil(64);
        self.stops = [0; WORDS];
        self.digits = [0; WORDS];
        for (k, &c) in b.iter().enumerate() {
            self.stops[k / 64] |= u64::from(STOP[c as usize]) << (k % 64);
            self.digits[k / 64] |= u64::from(c.is_ascii_digit()) << (k % 64);
        }
    }

    /// The position of the first stop after `at`, if any.
    #[inline]
    pub(crate) fn stop_after(&self, at: usize) -> Option<usize> {
        let from = at + 1;
        let mut w = from / 64;
        let mut word = *self.stops[..self.words].get(w)? >> (from % 64);
        let mut base = from;
        while word == 0 {
            w += 1;
            word = *self.stops[..self.words].get(w)?;
            base = w * 64;
        }
        Some(base + word.trailing_zeros() as usize)
    }

    /// The length of the run of ASCII digits that starts at `at`.
    #[inline]
    pub(crate) fn digit_run(&self, mut at: usize) -> usize {
        let from = at;
        while let Some(&word) = self.digits[..self.words].get(at / 64) {
            let run = (!(word >> (at % 64))).trailing_zeros() as usize;
            at += run;
            if !at.is_multiple_of(64) || run == 0 {
                break;
            }
        }
        at - from
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_flags_quotes_backslashes_and_control_bytes_only() {
        for c in 0..=255u8 {
            for at in 0..16 {
                let mut block = [b'a'; 17];
                block[at] = c;
                let want = if c == b'"' || c == b'\\' || c < 0x20 {
                    1 << at
                } else {
                    0
                };
                assert_eq!(stops(&block), want, "byte {c:#x} at {at}");
            }
        }
    }

    #[test]
    fn equal_flags_the_bytes_two_blocks_share() {
        let a: Vec<u8> = (0..16).collect();
        assert_eq!(equal(&a, &a), 0xffff);
        for at in 0..16 {
            for flip in [1u8, 0x80, 0xff] {
                let mut b = a.clone();
                b[at] ^= flip;
                assert_eq!(equal(&a, &b), 0xffff & !(1 << at), "byte {at} ^ {flip:#x}");
            }
        }
    }

    #[test]
    fn marks_agree_with_bytes_at_every_length_and_start() {
        let mut marks = Marks::default();
        // Made 64 bytes at a time where the CPU can, else byte by byte: both checked here
        // against the bytes, and the two ways against each other.
        let mut bytewise = Marks {
            wide: false,
            ..Marks::default()
        };
        // Texts of letters, digits or quotes around one load and two (and the longest
        // marked), one odd byte anywhere (or none), every start (every few in the long ones).
        let lens = (0..=66).chain(126..=130).chain([MAX_LINE, MAX_LINE + 1]);
        for len in lens {
            for base in [&b"abc"[..], b"0123456789", b"\"a1\"22"] {
                let plain: Vec<u8> = (0..len).map(|k| base[k % base.len()]).collect();
                let odds = std::iter::once(None).chain((0..len).step_by(1 + len / 70).map(Some));
                for odd in odds {
                    for c in [b'"', b'\\', 0x1f, b'\t', b'x', b'7', 0xc3] {
                        let mut b = plain.clone();
                        if let Some(k) = odd {
                            b[k] = c;
                        }
                        let read = marks.read(&b);
                        assert_eq!(read, len <= MAX_LINE, "{b:?}");
                        assert_eq!(bytewise.read(&b), read, "{b:?}");
                        if !read {
                            continue;
                        }
                        assert_eq!(marks.stops[..marks.words], bytewise.stops[..bytewise.words]);
                        assert_eq!(
                            marks.digits[..marks.words],
                            bytewise.digits[..bytewise.words]
                        );
                        for at in (0..=len).step_by(1 + len / 70) {
                            let want = (at + 1..len).find(|&k| STOP[b[k] as usize]);
                            assert_eq!(marks.stop_after(at), want, "{b:?} at {at}");
                            let want = b[at..].iter().take_while(|c| c.is_ascii_digit());
                            assert_eq!(marks.digit_run(at), want.count(), "{b:?} at {at}");
                        }
                    }
                }
            }
        }
    }
}
