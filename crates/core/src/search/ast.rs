//! The tree a query parses into, shaped for the store to compile.

/// A parsed search query.
///
/// `And` and `Or` hold two or more children and never a child of their own
/// kind (`a (b c)` is one `And` of three). `Not` may stand alone: `-spam`
/// means every message except those matching `spam`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// One condition.
    Term(Term),
    /// Messages that do not match.
    Not(Box<Query>),
    /// Messages that match every child.
    And(Vec<Query>),
    /// Messages that match at least one child.
    Or(Vec<Query>),
}

/// One condition on a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// Text to find with full-text search.
    Text(TextTerm),
    /// `in:FOLDER`: the folder's name, exactly as typed (the store decides
    /// how to compare; IMAP's `INBOX` is case-insensitive).
    Folder(String),
    /// `has:attachment`: the message has a non-inline attachment.
    HasAttachment,
    /// `is:…`: a flag state.
    Is(Status),
    /// `before:`, `after:`, `older_than:`, `newer_than:`.
    Date(DateBound),
    /// `larger:`, `smaller:`.
    Size(SizeBound),
}

/// Text to find, in one field or in all text.
///
/// The store must splice [`TextTerm::text`] into an FTS5 query only through
/// [`super::fts5_string`] (or [`TextTerm::fts5_operand`]), so user text can
/// never be read as FTS5 syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextTerm {
    /// Where to look; `None` is all indexed text (headers, body, file names).
    pub field: Option<TextField>,
    /// The text as the user typed it, without quotes or a trailing `*`.
    /// Never empty, never contains `"`.
    pub text: String,
    /// How to match it.
    pub kind: TextKind,
}

/// A field a text term can be limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextField {
    /// `from:` — sender names and addresses.
    From,
    /// `to:` — `To` names and addresses.
    To,
    /// `cc:` — `Cc` names and addresses.
    Cc,
    /// `subject:`
    Subject,
    /// `filename:` — attachment file names.
    Filename,
}

/// How a text term matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextKind {
    /// A bare word (`report`). The text may still split into several tokens
    /// (`e-mail`, `foo:bar`), which then match as a phrase.
    Word,
    /// A `"quoted phrase"`: its tokens in order, next to each other.
    Phrase,
    /// `warr*`: any token starting with the text.
    Prefix,
}

/// A flag condition, `is:VALUE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `is:unread` — `\Seen` is not set.
    Unread,
    /// `is:read` — `\Seen` is set.
    Read,
    /// `is:flagged` — `\Flagged` is set (Gmail's `is:starred`).
    Flagged,
    /// `is:answered` — `\Answered` is set.
    Answered,
}

/// A bound on the message date, in Unix seconds (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateBound {
    /// The date is strictly earlier: `before:2024-03-01` is
    /// `Before(2024-03-01T00:00:00Z)`, `older_than:7d` is `Before(now − 7 days)`.
    Before(i64),
    /// The date is this instant or later: `after:2024-03-01` (the day itself
    /// included, as in Gmail) is `Since(2024-03-01T00:00:00Z)`,
    /// `newer_than:7d` is `Since(now − 7 days)`.
    Since(i64),
}

/// A bound on the message size in bytes (RFC822.SIZE of the original).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SizeBound {
    /// `larger:N`: strictly more than N bytes.
    Larger(u64),
    /// `smaller:N`: strictly fewer than N bytes.
    Smaller(u64),
}
