//! Entry points for the fuzz targets (`fuzz/`), built with the `fuzzing`
//! feature; `tests/fuzz_corpus.rs` replays the saved corpora
//! (`fuzz/corpus/seal_open`, `fuzz/corpus/seal_head`) through them on stable. Each
//! function panics only when a property the engine relies on breaks.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::OnceLock;

use rand::SeedableRng as _;

use crate::audit::sample::{self, Depth};
use crate::keys::{MasterSecret, VaultKeys};
use crate::seal::{self, Authenticity, ByteRange};

/// The test vectors' keys (master secret 00 01 … 1f): the seeds include
/// genuine seals for them, so mutations reach the decryption and the MAC.
fn keys() -> &'static VaultKeys {
    static KEYS: OnceLock<VaultKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut bytes: [u8; 32] = std::array::from_fn(|i| i as u8);
        MasterSecret::from_bytes(&mut bytes)
            .derive()
            .expect("test keys")
    })
}

/// The seal opener: any bytes open or are refused, never a panic; what
/// opens is well-formed; what opens as genuine inspects to the same seal
/// id and opens identically again.
pub fn seal_open(data: &[u8]) {
    let inspected = seal::inspect(data);
    let Ok(opened) = seal::open(keys(), data) else {
        return;
    };
    let info = inspected.expect("a message that opens is well-formed");
    if opened.authenticity == Authenticity::Verified {
        assert_eq!(info.seal_id, opened.manifest.seal_id, "seal id mismatch");
        let again = seal::open(keys(), data).expect("opens twice");
        assert_eq!(again.original, opened.original);
    }
}

/// The head inspector and the structure check: the first 4 bytes are the
/// size the server claims (little-endian), the rest the head it returned.
/// Classifying never panics; a head that inspects gives a structure whose
/// checks and plans stay in bounds.
pub fn seal_head(data: &[u8]) {
    let Some((size, head)) = data.split_first_chunk::<4>() else {
        return;
    };
    let size = u64::from(u32::from_le_bytes(*size));
    let _ = crate::audit::classify(head, size);
    let Ok((info, structure)) = seal::inspect_structure(head, size) else {
        return;
    };
    if head.len() as u64 >= size {
        assert_eq!(
            seal::inspect(head).ok(),
            Some(info),
            "head and whole disagree"
        );
    }
    assert_eq!(structure.total_size(), size, "structure of another size");
    // Any range of the head's own bytes checks without a panic.
    let len = head.len() as u64;
    for (offset, n) in [(0, len), (len / 2, len / 3), (structure.body_start(), 200)] {
        let range = ByteRange { offset, len: n };
        let from = usize::try_from(offset.min(len)).expect("fits");
        let to = usize::try_from(range.end().min(len)).expect("fits");
        if let Ok(lines) = structure.check(range, &head[from..to]) {
            assert!(lines.start <= lines.end && lines.end <= structure.lines());
        }
    }
    let seals = [structure];
    let mut rng = rand::rngs::StdRng::from_seed([7; 32]);
    for depth in [Depth::Sampled, Depth::Full] {
        for fetch in sample::plan(&seals, depth, &mut rng) {
            assert_eq!(fetch.messages, vec![0]);
            assert!(fetch.ranges.len() <= 100, "{} ranges", fetch.ranges.len());
            for w in fetch.ranges.windows(2) {
                assert!(w[0].end() <= w[1].offset, "ranges overlap");
            }
            let asked: u64 = fetch.ranges.iter().map(|r| r.len).sum();
            assert!(asked <= sample::FETCH_BUDGET, "{asked} bytes in one fetch");
        }
    }
}
