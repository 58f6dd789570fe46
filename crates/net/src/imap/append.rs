//! APPEND with flags and INTERNALDATE, keeping the server's `[APPENDUID v u]` (UIDPLUS).
//!
//! async-imap's own `append` drops the response code and always waits for the
//! `+` continuation; we send the command ourselves, as a non-synchronising
//! literal (`{N+}`) when the server offers LITERAL+.

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

/// Room for the FETCH framing around a message fetched back whole.
const FETCH_FRAMING: u64 = 4096;

impl ImapSession {
    /// Appends `message` to `folder` with `flags` and an INTERNALDATE of
    /// `internaldate` (Unix seconds, sent in UTC).
    ///
    /// Returns where the server put it when it says so (`[APPENDUID]`, which
    /// UIDPLUS servers send), else `None`: the caller then finds the copy
    /// with [`ImapSession::uid_search_header`]. A server may send APPENDUID
    /// without advertising UIDPLUS (Dovecot does when `imap_capability`
    /// hides it); it is returned all the same, since the copy is verified by
    /// fetching it back. Whether originals may be removed is a separate
    /// question: see [`ImapSession::has_uidplus`].
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
        // Validate the name as given: encoding would hide a CR or LF in base64.
        validate::validate_argument("folder name", folder)?;
        if folder.is_empty() {
            return Err(NetError::InvalidArgument {
                what: "folder name",
                reason: "is empty",
            });
        }
        let wire = validate::quoted("folder name", &mutf7::encode(folder))?;
        let flag_list = flag_list(flags)?;
        let date = date::format_internaldate(internaldate)?;
        let size = u64::try_from(message.len()).unwrap_or(u64::MAX);
        let limit = self.limits.max_response_bytes.saturating_sub(FETCH_FRAMING);
        if size > limit {
            return Err(NetError::MessageTooLarge { size, limit });
        }
        let literal_plus = self.has_cached_capability("LITERAL+").await?;
        let marker = if literal_plus { "+" } else { "" };
        let line = format!("APPEND {wire} ({flag_list}) {date} {{{size}{marker}}}");
        let limits = self.limits;
        let done = timed(limits, "appending a message", async {
            let tag = self.send_command("APPEND", &line).await?;
            if !literal_plus {
                // The server may refuse the size before the literal is sent.
                if let Some(refusal) = self.await_continuation(&tag).await? {
                    return Err(refusal);
                }
            }
            let stream = self.session.get_mut();
            let sent = async {
                stream.write_all(message).await?;
                stream.write_all(b"\r\n").await?;
                stream.flush().await
            };
            sent.await.map_err(|e| error_map::io_error(limits, e))?;
            self.read_until_tagged("APPEND", &tag, command::ignore)
                .await
        })
        .await?;
        match done.append_uid {
            Some((uid_validity, members)) => match members.as_slice() {
                [UidSetMember::Uid(uid)] => Ok(Some(AppendUid {
                    uid_validity,
                    uid: *uid,
                })),
                [UidSetMember::UidRange(range)] if range.start() == range.end() => {
                    Ok(Some(AppendUid {
                        uid_validity,
                        uid: *range.start(),
                    }))
                }
                other => Err(NetError::Protocol(format!(
                    "APPENDUID for one message names {other:?}"
                ))),
            },
            None => Ok(None),
        }
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
fn flag_list(flags: &[String]) -> Result<String, NetError> {
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
