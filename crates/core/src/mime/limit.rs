//! Cuts what a message yields down to [`ReadLimits`], remembering that it did.

use super::ReadLimits;

/// Applies one message's limits and records whether anything was cut.
pub(super) struct Cut {
    limits: ReadLimits,
    truncated: bool,
}

impl Cut {
    pub(super) fn new(limits: ReadLimits) -> Self {
        Self {
            limits,
            truncated: false,
        }
    }

    pub(super) fn truncated(&self) -> bool {
        self.truncated
    }

    /// The limits in force.
    pub(super) fn limits(&self) -> &ReadLimits {
        &self.limits
    }

    /// `s` cut to the body-text limit.
    pub(super) fn text(&mut self, s: &str) -> String {
        self.prefix(s, self.limits.max_text_bytes).to_owned()
    }

    /// `s` cut to the header-value limit.
    pub(super) fn header(&mut self, s: &str) -> String {
        self.prefix(s, self.limits.max_header_bytes).to_owned()
    }

    /// The longest prefix of `s` of at most `max` bytes that ends on a
    /// character boundary; records a cut.
    pub(super) fn prefix<'s>(&mut self, s: &'s str, max: usize) -> &'s str {
        if s.len() <= max {
            return s;
        }
        self.truncated = true;
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1; // 0 is always a boundary, so this stops.
        }
        s.get(..end).unwrap_or_default()
    }

    /// At most the list limit of `items`; records a cut.
    pub(super) fn list<T>(&mut self, items: impl Iterator<Item = T>) -> Vec<T> {
        let mut out = Vec::new();
        for item in items {
            if out.len() == self.limits.max_list_len {
                self.truncated = true;
                break;
            }
            out.push(item);
        }
        out
    }

    /// Records a cut made elsewhere.
    pub(super) fn mark(&mut self) {
        self.truncated = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_cuts_on_a_character_boundary() {
        let mut cut = Cut::new(ReadLimits::default());
        assert_eq!(cut.prefix("abc", 3), "abc");
        assert!(!cut.truncated());
        // "é" is two bytes: a cut inside it backs off to before it.
        assert_eq!(cut.prefix("aé", 2), "a");
        assert!(cut.truncated());
        assert_eq!(cut.prefix("会議", 5), "会");
        assert_eq!(cut.prefix("会議", 0), "");
    }

    #[test]
    fn list_keeps_at_most_the_limit() {
        let limits = ReadLimits {
            max_list_len: 2,
            ..ReadLimits::default()
        };
        let mut cut = Cut::new(limits);
        assert_eq!(cut.list([1, 2].into_iter()), vec![1, 2]);
        assert!(!cut.truncated());
        assert_eq!(cut.list([1, 2, 3].into_iter()), vec![1, 2]);
        assert!(cut.truncated());
    }
}
