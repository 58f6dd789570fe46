//! Which byte ranges of each seal the keyless audit reads beyond its head:
//! the tail and samples in between (the default), or every byte (`--full`).
//!
//! The plan is a list of [`Fetch`]es, each the same ranges of several
//! messages, so that one IMAP FETCH serves many messages: seals whose sizes
//! are close share their ranges, and the server cuts each range at the end
//! of each message. Every range starts and ends on a body line (the lines
//! of all seals lie at the same offsets, as the header template has a fixed
//! length), so [`Structure::check`] sees whole lines only.
//!
//! The sampling rule (`docs/AUDIT.md` explains it to auditors):
//! * the head ([`super::HEAD_BYTES`]), read before the plan is made;
//! * the tail: at least the last [`TAIL_LINES`] lines (about 1 KiB), up to
//!   one line past the declared end, so the final line, its padding and the
//!   size are checked and nothing may follow;
//! * in between, [`SAMPLE_LINES`] lines (about 0.5 KiB) out of every
//!   [`SAMPLE_EVERY_LINES`] (about 8 KiB), at a random phase drawn per
//!   fetch, at most [`MAX_SAMPLES`] per message (beyond about 512 KiB of
//!   body the samples spread further apart).

use rand::{CryptoRng, Rng as _, RngCore};

use crate::seal::{ByteRange, Structure};

/// Lines of the tail every sampled check reads (≈ 1 KiB).
pub const TAIL_LINES: u64 = 14;
/// Lines in one sample between the head and the tail (≈ 0.5 KiB).
pub const SAMPLE_LINES: u64 = 7;
/// One sample per this many lines between the head and the tail (≈ 8 KiB).
pub const SAMPLE_EVERY_LINES: u64 = 105;
/// At most this many samples per message.
pub const MAX_SAMPLES: u64 = 64;
/// The most bytes one [`Fetch`] asks for over all its messages: bounds the
/// memory of a scan and stays well under the IMAP response limit.
pub const FETCH_BUDGET: u64 = 8 * 1024 * 1024;
/// Seals whose sizes differ by at most this much share a sampled fetch (at
/// least 2 KiB, at most 16 KiB, else 1/32 of the size): the larger ones
/// read that much more of their tail.
const WINDOW_MIN: u64 = 2 * 1024;
const WINDOW_MAX: u64 = 16 * 1024;
/// The most one full-mode range asks for of each message.
const MAX_CHUNK: u64 = 4 * 1024 * 1024;

/// A base64 body line with its CRLF, in bytes.
const LINE: u64 = crate::seal::outer::LINE_LEN as u64 + 2;

/// How much of each seal the keyless audit reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Depth {
    /// The head, the tail and samples in between.
    #[default]
    Sampled,
    /// Every byte of every message.
    Full,
}

impl Depth {
    /// A stable name for reports: `sampled` or `full`.
    pub fn as_str(self) -> &'static str {
        match self {
            Depth::Sampled => "sampled",
            Depth::Full => "full",
        }
    }
}

/// One FETCH of a plan: the same `ranges` of the messages `messages`
/// (indexes into the structures the plan was made from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetch {
    /// Indexes of the messages.
    pub messages: Vec<usize>,
    /// The byte ranges to read of each, in order, not overlapping.
    pub ranges: Vec<ByteRange>,
}

/// What to read of `seals` (each from [`crate::seal::inspect_structure`])
/// at `depth`. Seals whose head held all of them need nothing more.
pub fn plan<R: RngCore + CryptoRng>(seals: &[Structure], depth: Depth, rng: &mut R) -> Vec<Fetch> {
    match depth {
        Depth::Sampled => sampled(seals, rng),
        Depth::Full => full(seals),
    }
}

/// The seals with lines left to check, in groups whose lines lie at the
/// same offsets and whose rest starts at the same line, smallest first.
fn groups(seals: &[Structure]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..seals.len())
        .filter(|&i| seals.get(i).is_some_and(|s| s.lines_in_head() < s.lines()))
        .collect();
    let key = |i: usize| {
        seals
            .get(i)
            .map(|s| (s.body_start(), s.lines_in_head(), s.total_size()))
    };
    order.sort_by_key(|&i| key(i));
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in order {
        let same = groups
            .last()
            .and_then(|g| g.first())
            .and_then(|&first| Some((key(first)?, key(i)?)))
            .is_some_and(|(a, b)| a.0 == b.0 && a.1 == b.1);
        match groups.last_mut() {
            Some(group) if same => group.push(i),
            _ => groups.push(vec![i]),
        }
    }
    groups
}

/// The upper bound of what a sampled plan reads of one message beyond its
/// head.
pub const SAMPLED_BYTES_PER_MESSAGE: u64 =
    MAX_SAMPLES * SAMPLE_LINES * LINE + TAIL_LINES * LINE + WINDOW_MAX + LINE;

fn sampled<R: RngCore + CryptoRng>(seals: &[Structure], rng: &mut R) -> Vec<Fetch> {
    let per_fetch = usize::try_from(FETCH_BUDGET / SAMPLED_BYTES_PER_MESSAGE)
        .unwrap_or(1)
        .max(1);
    let mut fetches = Vec::new();
    for group in groups(seals) {
        let mut rest = group.as_slice();
        while let Some((&first, _)) = rest.split_first() {
            let Some(smallest) = seals.get(first) else {
                break;
            };
            let window = (smallest.total_size() / 32).clamp(WINDOW_MIN, WINDOW_MAX);
            let limit = smallest.total_size().saturating_add(window);
            let n = rest
                .iter()
                .take(per_fetch)
                .take_while(|&&i| seals.get(i).is_some_and(|s| s.total_size() <= limit))
                .count()
                .max(1);
            let (these, later) = rest.split_at(n.min(rest.len()));
            rest = later;
            let largest = these
                .iter()
                .filter_map(|&i| seals.get(i))
                .map(Structure::total_size)
                .max()
                .unwrap_or(smallest.total_size());
            fetches.push(Fetch {
                messages: these.to_vec(),
                ranges: sample_ranges(smallest, largest, rng),
            });
        }
    }
    fetches
}

/// The ranges for seals from `smallest` up to a size of `largest`: samples
/// placed within the smallest, and a tail reaching past the largest.
fn sample_ranges<R: RngCore + CryptoRng>(
    smallest: &Structure,
    largest: u64,
    rng: &mut R,
) -> Vec<ByteRange> {
    let head = smallest.lines_in_head();
    let tail = smallest.lines().saturating_sub(TAIL_LINES).max(head);
    let mut ranges = Vec::new();
    let between = tail - head;
    if between > 0 {
        let n = between.div_ceil(SAMPLE_EVERY_LINES).min(MAX_SAMPLES);
        let stride = between.div_ceil(n);
        let take = SAMPLE_LINES.min(stride);
        let phase = rng.gen_range(0..=stride - take);
        for k in 0..n {
            let first = head + k * stride + phase;
            if first >= tail {
                break;
            }
            push_merged(
                &mut ranges,
                smallest.lines_range(first, take.min(tail - first)),
            );
        }
    }
    let from = smallest.line_start(tail);
    push_merged(
        &mut ranges,
        ByteRange {
            offset: from,
            len: largest.saturating_sub(from) + LINE,
        },
    );
    ranges
}

/// Appends `range`, joined to the last one when they touch.
fn push_merged(ranges: &mut Vec<ByteRange>, range: ByteRange) {
    match ranges.last_mut() {
        Some(last) if last.end() == range.offset => last.len += range.len,
        _ => ranges.push(range),
    }
}

/// Every line after the head, in consecutive chunks that all messages of a
/// group read together; a message takes part until a chunk starts past its
/// end (the first such chunk shows whether anything follows the end).
fn full(seals: &[Structure]) -> Vec<Fetch> {
    let mut fetches = Vec::new();
    for group in groups(seals) {
        let Some(first) = group.first().and_then(|&i| seals.get(i)) else {
            continue;
        };
        let mut line = first.lines_in_head();
        loop {
            let offset = first.line_start(line);
            let alive: Vec<usize> = group
                .iter()
                .copied()
                .filter(|&i| seals.get(i).is_some_and(|s| s.total_size() >= offset))
                .collect();
            if alive.is_empty() {
                break;
            }
            let lines = (FETCH_BUDGET / LINE / alive.len() as u64).clamp(1, MAX_CHUNK / LINE);
            fetches.push(Fetch {
                messages: alive,
                ranges: vec![ByteRange {
                    offset,
                    len: lines * LINE,
                }],
            });
            line += lines;
        }
    }
    fetches
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng as _;

    use super::*;
    use crate::audit::HEAD_BYTES;
    use crate::keys::MasterSecret;
    use crate::seal::{self, InternalDate, SealInput};

    fn sealed(len: usize, seed: u64) -> Vec<u8> {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
        let keys = MasterSecret::generate(&mut rng).derive().unwrap();
        let original = vec![b'm'; len];
        let input = SealInput {
            folder: "INBOX",
            flags: &[],
            internaldate: InternalDate::new(1_706_781_600, 0).unwrap(),
            original: &original,
        };
        seal::seal(&keys, &input, &mut rng).unwrap()
    }

    fn structure(msg: &[u8]) -> Structure {
        let head = &msg[..msg.len().min(HEAD_BYTES as usize)];
        seal::inspect_structure(head, msg.len() as u64).unwrap().1
    }

    fn rng() -> rand_chacha::ChaCha20Rng {
        rand_chacha::ChaCha20Rng::seed_from_u64(11)
    }

    /// Runs a plan against the messages as a server would (each range cut
    /// at the message's end); returns, per message, the lines checked and
    /// the bytes read beyond the head.
    fn run(msgs: &[Vec<u8>], depth: Depth) -> Vec<(u64, bool, u64)> {
        let seals: Vec<Structure> = msgs.iter().map(|m| structure(m)).collect();
        let mut out = vec![(0u64, false, 0u64); msgs.len()];
        for fetch in plan(&seals, depth, &mut rng()) {
            for &i in &fetch.messages {
                for r in &fetch.ranges {
                    let m = &msgs[i];
                    let from = (r.offset as usize).min(m.len());
                    let to = (r.end() as usize).min(m.len());
                    let lines = seals[i].check(*r, &m[from..to]).unwrap();
                    out[i].0 += lines.end - lines.start;
                    out[i].1 |= lines.end == seals[i].lines();
                    out[i].2 += (to - from) as u64;
                }
            }
        }
        out
    }

    #[test]
    fn the_full_plan_checks_every_line_after_the_head_once() {
        let msgs: Vec<Vec<u8>> = [0usize, 5_000, 70_000, 300_000, 1_000_000]
            .iter()
            .enumerate()
            .map(|(i, &n)| sealed(n, i as u64))
            .collect();
        for (i, (lines, end, _)) in run(&msgs, Depth::Full).into_iter().enumerate() {
            let s = structure(&msgs[i]);
            assert_eq!(lines, s.lines() - s.lines_in_head(), "message {i}");
            assert!(end, "message {i}");
        }
    }

    #[test]
    fn the_sampled_plan_reads_the_tail_and_samples_and_says_how_much() {
        let sizes = [
            0usize, 5_000, 20_000, 70_000, 300_000, 1_000_000, 10_000_000,
        ];
        let msgs: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| sealed(n, i as u64))
            .collect();
        for (i, (lines, end, bytes)) in run(&msgs, Depth::Sampled).into_iter().enumerate() {
            let s = structure(&msgs[i]);
            assert!(end, "the tail of message {i}");
            assert!(lines >= TAIL_LINES.min(s.lines() - s.lines_in_head()));
            assert!(bytes <= SAMPLED_BYTES_PER_MESSAGE, "message {i}: {bytes}");
            // The benchmark figure: bytes read beyond the 8 KiB head.
            println!(
                "original {:>9} B, seal {:>9} B: head {HEAD_BYTES} B + {bytes} B sampled ({lines} lines)",
                sizes[i],
                msgs[i].len()
            );
            // Beyond the tail, one sample of 7 lines per ~8 KiB, at most 64
            // (the last interval may be cut short by the tail).
            let rest = s.lines() - s.lines_in_head();
            let between = rest.saturating_sub(TAIL_LINES);
            let samples = between.div_ceil(SAMPLE_EVERY_LINES).min(MAX_SAMPLES);
            let want =
                rest.min(TAIL_LINES) + (samples.saturating_sub(1) * SAMPLE_LINES).min(between);
            assert!(lines >= want, "message {i}: {lines} lines, want {want}");
        }
    }

    #[test]
    fn seals_of_close_sizes_share_one_fetch_and_each_still_gets_its_tail() {
        let msgs: Vec<Vec<u8>> = (0..6).map(|i| sealed(50_000 + i * 10, i as u64)).collect();
        let seals: Vec<Structure> = msgs.iter().map(|m| structure(m)).collect();
        let fetches = plan(&seals, Depth::Sampled, &mut rng());
        assert_eq!(fetches.len(), 1, "{fetches:?}");
        for (i, (_, end, _)) in run(&msgs, Depth::Sampled).into_iter().enumerate() {
            assert!(end, "message {i}");
        }
    }

    #[test]
    fn a_seal_read_whole_with_its_head_needs_nothing_more() {
        let msg = sealed(100, 1);
        let s = seal::inspect_structure(&msg, msg.len() as u64).unwrap().1;
        assert_eq!(s.lines_in_head(), s.lines());
        assert!(plan(std::slice::from_ref(&s), Depth::Full, &mut rng()).is_empty());
        assert!(plan(&[s], Depth::Sampled, &mut rng()).is_empty());
    }

    #[test]
    fn sample_positions_vary_with_the_random_phase() {
        let msg = sealed(1_000_000, 3);
        let s = [structure(&msg)];
        let a = plan(
            &s,
            Depth::Sampled,
            &mut rand_chacha::ChaCha20Rng::seed_from_u64(1),
        );
        let b = plan(
            &s,
            Depth::Sampled,
            &mut rand_chacha::ChaCha20Rng::seed_from_u64(2),
        );
        assert_ne!(a, b);
    }

    /// How many FETCHes a batch of 500 seals takes: sizes spread evenly on a
    /// log scale from 12 KB to 2 MB, as in a mailbox with attachments. A
    /// head-only scan took 2 (250 UIDs per FETCH).
    #[test]
    fn fetches_per_batch_of_500() {
        use crate::seal::outer::BodyLayout;
        let body_start = 462u64;
        let in_head = (u64::from(HEAD_BYTES) - body_start) / LINE;
        let seals: Vec<Structure> = (0..500u32)
            .map(|i| {
                let size = 12_000.0 * (2_000_000.0f64 / 12_000.0).powf(f64::from(i) / 499.0);
                let lines = (size as u64 - body_start) / LINE;
                let layout = BodyLayout::new(body_start, body_start + lines * LINE).unwrap();
                Structure::new(layout, layout.chars() / 4 * 3, in_head)
            })
            .collect();
        let sampled = plan(&seals, Depth::Sampled, &mut rng());
        let full = plan(&seals, Depth::Full, &mut rng());
        let bytes = |p: &[Fetch]| -> u64 {
            p.iter()
                .map(|f| {
                    f.messages
                        .iter()
                        .map(|&i| {
                            let total = seals[i].total_size();
                            f.ranges
                                .iter()
                                .map(|r| r.end().min(total).saturating_sub(r.offset))
                                .sum::<u64>()
                        })
                        .sum::<u64>()
                })
                .sum()
        };
        println!(
            "500 seals: sampled {} FETCHes, {} B; full {} FETCHes, {} B",
            sampled.len(),
            bytes(&sampled),
            full.len(),
            bytes(&full)
        );
        assert!(sampled.len() < 500);
        for f in sampled.iter().chain(&full) {
            assert!(f.ranges.len() <= 100, "{}", f.ranges.len());
        }
    }
}
