//! Sixteen bytes at a time (SSE2, always there on x86-64; byte by byte elsewhere): flags for
//! the bytes that end a string's plain run, and for the bytes two blocks share. Strings and
//! literals of a log line are mostly 10 to 50 bytes, so one block test replaces two or more
//! word tests (see [`super::swar`]) and their branches.

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

/// 64 bytes at a time with AVX-512 (BW), where the CPU has it (checked at run time: the build
/// targets plain x86-64): what the layout matcher needs to know of a line, found for the whole
/// line before any layout is tried ([`Marks`]).
#[cfg(target_arch = "x86_64")]
pub(crate) mod wide {
    use std::arch::x86_64::{
        __m512i, _bzhi_u64, _mm512_cmpeq_epi8_mask, _mm512_cmple_epu8_mask, _mm512_cmplt_epu8_mask,
        _mm512_loadu_si512, _mm512_maskz_loadu_epi8, _mm512_set1_epi8, _mm512_sub_epi8,
    };

    /// Longest line marked; longer ones are matched 16 bytes at a time.
    pub(crate) const MAX_LINE: usize = 2048;
    const WORDS: usize = MAX_LINE / 64;

    /// Whether this CPU runs the functions below.
    pub(crate) fn available() -> bool {
        is_x86_feature_detected!("avx512bw") && is_x86_feature_detected!("bmi2")
    }

    /// The 64 bytes from `at` (within `b`), or `None` when fewer are left.
    #[target_feature(enable = "avx512bw,bmi2")]
    #[inline]
    fn load(b: &[u8], at: usize) -> Option<__m512i> {
        let block = b.get(at..at.checked_add(64)?)?;
        // SAFETY: `block` holds the 64 bytes loaded; the load has no alignment requirement.
        Some(unsafe { _mm512_loadu_si512(block.as_ptr() as *const __m512i) })
    }

    /// Where a line's string stops (quotes, backslashes, control bytes) and digits are, found
    /// once for every layout the line is tried against. A string's plain run then ends at the
    /// stop after its opening quote (a shift and a bit count in a word), and a number's digits
    /// are a run of bits, where each was read block by block or byte by byte.
    pub(crate) struct Marks {
        /// One bit per byte that ends a string's plain run (see [`super::STOP`]).
        stops: [u64; WORDS],
        /// One bit per byte that is an ASCII digit.
        digits: [u64; WORDS],
        /// Words marked (those of the line's bytes).
        words: usize,
        /// Whether this CPU makes marks ([`available`]).
        usable: bool,
    }

    impl std::fmt::Debug for Marks {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Marks").field("words", &self.words).finish()
        }
    }

    impl Default for Marks {
        fn default() -> Self {
            Marks {
                stops: [0; WORDS],
                digits: [0; WORDS],
                words: 0,
                usable: available(),
            }
        }
    }

    impl Marks {
        /// Whether [`Marks::read`] runs on this CPU.
        #[inline]
        pub(crate) fn usable(&self) -> bool {
            self.usable
        }

        /// Marks `b`; `false` when it is longer than [`MAX_LINE`] (the marks are then not
        /// to be used).
        ///
        /// # Safety
        /// The CPU must have what [`available`] checks ([`Marks::usable`]).
        #[target_feature(enable = "avx512bw,bmi2")]
        pub(crate) fn read(&mut self, b: &[u8]) -> bool {
            self.words = 0;
            if b.len() > MAX_LINE {
                return false;
            }
            let mut w = 0;
            while w * 64 < b.len() {
                let at = w * 64;
                // The last block, when it is short, as the line's last 64 bytes (their bits
                // shifted down to its start), or masked when the line is shorter than that.
                let left = b.len() - at;
                let (v, shift) = if let Some(v) = load(b, at) {
                    (v, 0)
                } else if let Some(v) = b.len().checked_sub(64).and_then(|end| load(b, end)) {
                    (v, 64 - left as u32)
                } else {
                    let mask = _bzhi_u64(u64::MAX, left as u32);
                    // SAFETY: the mask covers the `left` bytes from `at`, all within `b`; a
                    // masked load touches no byte outside its mask.
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
            true
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

        /// How many ASCII digits the line has from `at` on.
        #[inline]
        pub(crate) fn digits(&self, mut at: usize) -> usize {
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

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn wide_marks_agree_with_bytes_at_every_length_and_start() {
        let mut marks = wide::Marks::default();
        if !marks.usable() {
            eprintln!("no AVX-512 here: marks are not tried");
            return;
        }
        // Texts of letters, digits or quotes around one load and two (and the longest
        // marked), one odd byte anywhere (or none), every start (every few in the long ones).
        let lens = (0..=66)
            .chain(126..=130)
            .chain([wide::MAX_LINE, wide::MAX_LINE + 1]);
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
                        // SAFETY: the CPU has what `read` uses (`usable`, checked above).
                        let read = unsafe { marks.read(&b) };
                        assert_eq!(read, len <= wide::MAX_LINE, "{b:?}");
                        if !read {
                            continue;
                        }
                        for at in (0..=len).step_by(1 + len / 70) {
                            let want = (at + 1..len).find(|&k| STOP[b[k] as usize]);
                            assert_eq!(marks.stop_after(at), want, "{b:?} at {at}");
                            let want = b[at..].iter().take_while(|c| c.is_ascii_digit());
                            assert_eq!(marks.digits(at), want.count(), "{b:?} at {at}");
                        }
                    }
                }
            }
        }
    }
}
