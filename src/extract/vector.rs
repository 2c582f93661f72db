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
}
