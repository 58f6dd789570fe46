//! Exponential back-off with jitter between attempts after a transient error.

use std::time::Duration;

use rand::Rng as _;

/// Waits that double after each failure (1 s → 2 → 4 …) up to a cap, and
/// go back to the start after a success. Each wait is jittered by ±25 % so
/// that many clients cut off by the same server restart do not all come
/// back in the same second.
#[derive(Debug, Clone)]
pub(super) struct Backoff {
    initial: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    pub(super) fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial: initial.max(Duration::from_millis(10)),
            max: max.max(initial),
            failures: 0,
        }
    }

    /// The wait before the next attempt; each call counts one more failure.
    pub(super) fn next_wait(&mut self) -> Duration {
        let nominal = self.nominal();
        self.failures = self.failures.saturating_add(1);
        let jitter = rand::thread_rng().gen_range(0.75..=1.25);
        nominal.mul_f64(jitter).min(self.max)
    }

    /// After a success the next failure waits the initial time again.
    pub(super) fn reset(&mut self) {
        self.failures = 0;
    }

    fn nominal(&self) -> Duration {
        // 2^20 × anything sensible is far past any cap; stop doubling there.
        let factor = 1u32 << self.failures.min(20);
        self.initial.saturating_mul(factor).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_with_jitter_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(300));
        for nominal in [1.0_f64, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0] {
            let wait = b.next_wait().as_secs_f64();
            assert!(
                (nominal * 0.75..=(nominal * 1.25).min(300.0)).contains(&wait),
                "{wait} for {nominal}"
            );
        }
        for _ in 0..50 {
            let wait = b.next_wait().as_secs_f64();
            assert!((225.0..=300.0).contains(&wait), "{wait} at the cap");
        }
        b.reset();
        assert!(b.next_wait() <= Duration::from_millis(1250));
    }
}
