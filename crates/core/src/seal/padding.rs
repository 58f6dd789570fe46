//! Size buckets: the padded length of a sealed payload (Padmé, with an 8 KiB floor).
//!
//! The provider sees the ciphertext length, so the plaintext is padded with
//! zero bytes up to a bucket. Buckets follow Padmé (Nikitin et al., "Reducing
//! Metadata Leakage from Encrypted Files and Communication with PURBs",
//! PETS 2019): a length L ≥ 2 with E = ⌊log2 L⌋ and S = ⌊log2 E⌋ + 1 is
//! rounded up to a multiple of 2^(E−S). Overhead is at most 12 % and a
//! length leaks O(log log L) bits. Below 8 KiB everything is one bucket.

/// Every payload is at least this long.
pub const MIN_BUCKET: u64 = 8 * 1024;

/// The bucket (padded length) for a content length.
pub fn bucket(len: u64) -> u64 {
    if len <= MIN_BUCKET {
        return MIN_BUCKET;
    }
    let e = 63 - u64::from(len.leading_zeros()); // ⌊log2 len⌋, ≥ 13 here
    let s = 64 - u64::from(e.leading_zeros()); // ⌊log2 e⌋ + 1
    let last_bits = e - s;
    let mask = (1u64 << last_bits) - 1;
    // Cannot overflow for any length a Vec can hold.
    len.saturating_add(mask) & !mask
}

/// True when `len` is itself a bucket.
pub fn is_bucket(len: u64) -> bool {
    bucket(len) == len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_buckets() {
        assert_eq!(bucket(0), 8192);
        assert_eq!(bucket(8192), 8192);
        assert_eq!(bucket(8193), 8704); // E=13, S=4, step 512
        assert_eq!(bucket(10_000), 10_240);
        assert_eq!(bucket(100_000), 100_352); // E=16, S=5, step 2048
        assert_eq!(bucket(1 << 20), 1 << 20);
        assert_eq!(bucket(10_000_000), 10_223_616); // E=23, S=5, step 262144
    }

    #[test]
    fn buckets_are_fixed_points_with_bounded_overhead() {
        let mut len = 1u64;
        while len < 1 << 34 {
            let b = bucket(len);
            assert!(b >= len);
            assert!(is_bucket(b), "{len} -> {b}");
            if len > MIN_BUCKET {
                assert!((b - len) * 100 <= len * 12, "{len} -> {b}");
            }
            len = len * 3 / 2 + 1;
        }
    }
}
