//! APPEND with flags and INTERNALDATE, keeping the server's `[APPENDUID v u]` (UIDPLUS); many messages in one MULTIAPPEND.
//!
//! async-imap's own `append` drops the response code, always waits for the
//! `+` continuation and sends one message per command; we send the command
//! ourselves, as non-synchronising literals (`{N+}`) when the server offers
//! LITERAL+, and several messages in one command (RFC 3502) when it offers
//! MULTIAPPEND.

use imap_proto::Response;
use imap_proto::rfc4315::UidSetMember;
use tokio::io::AsyncWriteExt as _;

use super::{ImapSession, command, date, error_map, timed};
use crate::{NetError, mutf7, validate};

/// Where the server put an appended message (RFC 4315 APPENDUID).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendUid {
    /// The folder's UIDVALIDITY when the message was added.
    pub uid_validity: u32,
    /// The message's UID in that folder.
    pub uid: u32,
}

/// One message to append: its flags, INTERNALDATE (Unix seconds, sent in
/// UTC) and bytes.
#[derive(Debug, Clone, Copy)]
pub struct ToAppend<'m> {
    /// `\Seen`, `\Answered`, `\Flagged`, `\Draft`, `\Deleted` or keyword atoms.
    pub flags: &'m [String],
    /// Unix seconds.
    pub internaldate: i64,
    /// The message, exactly as it is to be stored.
    pub message: &'m [u8],
}

/// Room for the FETCH framing around a message fetched back whole.
const FETCH_FRAMING: u64 = 4096;

/// One message's part of an APPEND command, checked and formatted.
struct Prepared<'m> {
    /// ` (flags) "date" {size}` or `{size+}`.
    head: String,
    message: &'m [u8],
}

impl ImapSession {
    /// Appends `message` to `folder` with `flags` and an INTERNALDATE of
    /// `internaldate` (Unix seconds, sent in UTC).
    ///
    /// Returns where the server put it when it says so (`[APPENDUID]`, which
    /// UIDPLUS servers send), else `None`: the caller then finds the copy
    /// with [`ImapSession::uid_search_header`]. A server may send APPENDUID
    /// without advertising UIDPLUS (Dovecot does when `imap_capability`
    /// hides it); it is ignored then, so that a server which does not
    /// promise UIDPLUS is never relied on for it. Whether originals may be
    /// removed is a separate question: see [`ImapSession::has_uidplus`].
    ///
    /// Flags must be `\Seen`, `\Answered`, `\Flagged`, `\Draft`, `\Deleted`
    /// or keyword atoms; anything else (`\Recent`, spaces, brackets, …) is
    /// refused before anything is sent. A message that could not be fetched
    /// back within [`crate::Limits::max_response_bytes`] is refused too.
    pub async fn append(
        &mut self,
        folder: &str,
        flags: &[String],
        internaldate: i64,
        message: &[u8],
    ) -> Result<Option<AppendUid>, NetError> {
        let one = ToAppend {
            flags,
            internaldate,
            message,
        };
        Ok(self
            .append_many(folder, &[one])
            .await?
            .into_iter()
            .next()
            .flatten())
    }

    /// Appends `messages` to `folder`, returning where each went, in order
    /// (each `None` when the server did not say; see [`ImapSession::append`]).
    ///
    /// With MULTIAPPEND (RFC 3502) this is one command, which the server
    /// carries out for all messages or for none: one transaction, where
    /// separate APPENDs to a busy folder each wait for its lock. Without
    /// it, the messages are appended one command at a time, and an error
    /// part way leaves the earlier ones appended. Every message is checked
    /// as for [`ImapSession::append`] before anything is sent; an empty one
    /// is refused (it would cancel a MULTIAPPEND).
    pub async fn append_many(
        &mut self,
        folder: &str,
        messages: &[ToAppend<'_>],
    ) -> Result<Vec<Option<AppendUid>>, NetError> {
        // Validate the name as given: encoding would hide a CR or LF in base64.
        validate::validate_argument("folder name", folder)?;
        if folder.is_empty() {
            return Err(NetError::InvalidArgument {
                what: "folder name",
                reason: "is empty",
            });
        }
        let wire = validate::quoted("folder name", &mutf7::encode(folder))?;
        let literal_plus = self.has_cached_capability("LITERAL+").await?;
        let marker = if literal_plus { "+" } else { "" };
        let limit = self.limits.max_response_bytes.saturating_sub(FETCH_FRAMING);
        let mut prepared = Vec::with_capacity(messages.len());
        for m in messages {
            if m.message.is_empty() {
                // A zero-length literal cancels a MULTIAPPEND (RFC 3502).
                return Err(NetError::InvalidArgument {
                    what: "message",
                    reason: "is empty",
                });
            }
            let size = u64::try_from(m.message.len()).unwrap_or(u64::MAX);
            if size > limit {
                return Err(NetError::MessageTooLarge { size, limit });
            }
            let flag_list = flag_list(m.flags)?;
            let date = date::format_internaldate(m.internaldate)?;
            prepared.push(Prepared {
                head: format!(" ({flag_list}) {date} {{{size}{marker}}}"),
                message: m.message,
            });
        }
        if prepared.len() > 1 && self.has_cached_capability("MULTIAPPEND").await? {
            return self.append_command(&wire, &prepared, literal_plus).await;
        }
        let mut placed = Vec::with_capacity(prepared.len());
        for one in prepared.chunks(1) {
            placed.extend(self.append_command(&wire, one, literal_plus).await?);
        }
        Ok(placed)
    }

    /// Sends one APPEND command carrying `messages` (several only with
    /// MULTIAPPEND) and reads where the server put them.
    async fn append_command(
        &mut self,
        wire: &str,
        messages: &[Prepared<'_>],
        literal_plus: bool,
    ) -> Result<Vec<Option<AppendUid>>, NetError> {
        let Some((first, rest)) = messages.split_first() else {
            return Ok(Vec::new());
        };
        let line = format!("APPEND {wire}{}", first.head);
        let limits = self.limits;
        let done = timed(limits, "appending", async {
            let tag = self.send_command("APPEND", &line).await?;
            let mut next = Some(first);
            let mut rest = rest.iter();
            while let Some(part) = next {
                if !literal_plus {
                    // The server may refuse the size before the literal is sent.
                    if let Some(refusal) = self.await_continuation(&tag).await? {
                        return Err(refusal);
                    }
                }
                next = rest.next();
                let stream = self.session.get_mut();
                let sent = async {
                    stream.write_all(part.message).await?;
                    match next {
                        Some(following) => {
                            stream.write_all(following.head.as_bytes()).await?;
                            stream.write_all(b"\r\n").await?;
                        }
                        None => stream.write_all(b"\r\n").await?,
                    }
                    stream.flush().await
                };
                sent.await.map_err(|e| error_map::io_error(limits, e))?;
            }
            self.read_until_tagged("APPEND", &tag, command::ignore)
                .await
        })
        .await?;
        let Some((uid_validity, members)) = done.append_uid else {
            return Ok(vec![None; messages.len()]);
        };
        if !self.has_cached_capability("UIDPLUS").await? {
            tracing::debug!("ignoring an APPENDUID from a server that does not advertise UIDPLUS");
            return Ok(vec![None; messages.len()]);
        }
        // The messages are stored; an APPENDUID that does not name one new
        // UID per message is ignored, and the caller finds the copies itself.
        let Some(uids) = expand(&members, messages.len()) else {
            tracing::warn!(
                count = messages.len(),
                ?members,
                "ignoring an APPENDUID that does not name one UID per message"
            );
            return Ok(vec![None; messages.len()]);
        };
        Ok(uids
            .into_iter()
            .map(|uid| Some(AppendUid { uid_validity, uid }))
            .collect())
    }

    /// Waits for the `+` that invites a synchronising literal. A tagged
    /// answer instead is the server refusing the command.
    async fn await_continuation(
        &mut self,
        tag: &imap_proto::RequestId,
    ) -> Result<Option<NetError>, NetError> {
        loop {
            let step = self
                .next_response(|response| match response {
                    Response::Continue(_) => Some(None),
                    Response::Done {
                        tag: done_tag,
                        outcome,
                        ..
                    } if done_tag == tag => Some(Some(NetError::Refused {
                        command: "APPEND",
                        reason: outcome.information.as_deref().unwrap_or("").to_owned(),
                    })),
                    _ => None,
                })
                .await?;
            if let Some(outcome) = step {
                return Ok(outcome);
            }
        }
    }
}

/// The flags as the inside of an IMAP flag list, each checked.
pub(super) fn flag_list(flags: &[String]) -> Result<String, NetError> {
    const SYSTEM: [&str; 5] = ["\\Seen", "\\Answered", "\\Flagged", "\\Draft", "\\Deleted"];
    let mut out: Vec<&str> = Vec::with_capacity(flags.len());
    for flag in flags {
        let checked = if flag.starts_with('\\') {
            SYSTEM
                .iter()
                .find(|s| s.eq_ignore_ascii_case(flag))
                .copied()
                .ok_or(NetError::InvalidArgument {
                    what: "flag",
                    reason: "is a system flag that cannot be appended (only \\Seen, \\Answered, \
                             \\Flagged, \\Draft and \\Deleted can)",
                })?
        } else if is_atom(flag) {
            flag.as_str()
        } else {
            return Err(NetError::InvalidArgument {
                what: "flag",
                reason: "is not an IMAP keyword atom (empty, non-ASCII, or has a space, \
                         control character or one of ( ) { % * \" \\ ])",
            });
        };
        if !out.iter().any(|f| f.eq_ignore_ascii_case(checked)) {
            out.push(checked);
        }
    }
    Ok(out.join(" "))
}

/// The UIDs of an APPENDUID uid-set, in order, when it names exactly
/// `count` distinct ones, ascending (the count is checked before expanding:
/// a hostile `1:4294967295` allocates nothing).
pub(super) fn expand(members: &[UidSetMember], count: usize) -> Option<Vec<u32>> {
    let mut named: u64 = 0;
    for m in members {
        named += match m {
            UidSetMember::Uid(_) => 1,
            UidSetMember::UidRange(r) => u64::from(r.end().abs_diff(*r.start())) + 1,
        };
    }
    if named != u64::try_from(count).ok()? {
        return None;
    }
    let mut uids = Vec::with_capacity(count);
    for m in members {
        match m {
            UidSetMember::Uid(u) => uids.push(*u),
            UidSetMember::UidRange(r) => {
                // A set: `5:3` is `3:5`.
                let (a, b) = (*r.start(), *r.end());
                uids.extend(a.min(b)..=a.max(b));
            }
        }
    }
    // New UIDs, strictly ascending in the order of the messages (RFC 4315).
    let ascending = uids.windows(2).all(|w| matches!(w, [a, b] if a < b));
    (ascending && !uids.contains(&0)).then_some(uids)
}

/// RFC 3501 `atom`: one or more CHARs that are not atom-specials.
fn is_atom(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_graphic()
                && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn system_flags_and_keywords_pass_in_canonical_form() -> Result<(), NetError> {
        assert_eq!(
            flag_list(&strings(&[
                "\\seen",
                "\\Flagged",
                "$Label1",
                "Junk",
                "\\SEEN"
            ]))?,
            "\\Seen \\Flagged $Label1 Junk"
        );
        assert_eq!(flag_list(&[])?, "");
        Ok(())
    }

    #[test]
    fn appenduid_sets_expand_in_order_only_when_they_name_each_message_once() {
        use UidSetMember::{Uid, UidRange};
        assert_eq!(expand(&[Uid(7)], 1), Some(vec![7]));
        assert_eq!(
            expand(&[UidRange(101..=103), Uid(110)], 4),
            Some(vec![101, 102, 103, 110])
        );
        #[allow(clippy::reversed_empty_ranges)] // as a server may send `5:3`
        let reversed = UidRange(5..=3);
        assert_eq!(expand(&[reversed], 3), Some(vec![3, 4, 5]));
        assert_eq!(expand(&[UidRange(1..=3)], 2), None, "too many");
        assert_eq!(expand(&[Uid(1)], 2), None, "too few");
        assert_eq!(expand(&[UidRange(1..=u32::MAX)], 3), None);
        assert_eq!(expand(&[Uid(0)], 1), None, "UID 0 does not exist");
        assert_eq!(expand(&[Uid(7), Uid(7)], 2), None, "repeated");
        assert_eq!(expand(&[Uid(9), Uid(7)], 2), None, "not ascending");
    }

    #[test]
    fn recent_unknown_system_flags_and_atom_specials_are_refused() {
        for bad in [
            "\\Recent",
            "\\*",
            "\\Important",
            "",
            "two words",
            "paren)",
            "(paren",
            "brace{",
            "wild%",
            "star*",
            "quote\"",
            "back\\slash",
            "bracket]",
            "line\r\nA1 LOGOUT",
            "nul\0",
            "café",
        ] {
            assert!(
                matches!(
                    flag_list(&strings(&[bad])),
                    Err(NetError::InvalidArgument { what: "flag", .. })
                ),
                "{bad:?} must be refused"
            );
        }
    }
}
