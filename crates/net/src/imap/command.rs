//! Running one tagged command ourselves: send it, pass on untagged responses, check the tagged status.
//!
//! async-imap's own helpers drop what the safe path needs: the tagged
//! response code (`[APPENDUID v u]`), and for FETCH, STORE and EXPUNGE even
//! the tagged status (a `NO` ends their streams like an `OK`). Operations
//! that must not mistake a refusal for success go through here.

use imap_proto::rfc4315::UidSetMember;
use imap_proto::{RequestId, Response, ResponseCode, Status};

use super::{ImapSession, error_map};
use crate::NetError;

/// The response codes of a tagged OK that the safe path reads.
#[derive(Debug)]
pub(super) struct TaggedOk {
    /// `[APPENDUID uidvalidity uid-set]` (RFC 4315).
    pub(super) append_uid: Option<(u32, Vec<UidSetMember>)>,
}

impl ImapSession {
    /// Sends `line` as a tagged command and returns its tag.
    pub(super) async fn send_command(
        &mut self,
        name: &'static str,
        line: &str,
    ) -> Result<RequestId, NetError> {
        let limits = self.limits;
        self.session
            .run_command(line)
            .await
            .map_err(|e| error_map::imap_error(name, limits, e))
    }

    /// Reads the next response, failing when the connection ends.
    pub(super) async fn next_response<T>(
        &mut self,
        mut with: impl FnMut(&Response<'_>) -> T,
    ) -> Result<T, NetError> {
        let limits = self.limits;
        let response = self
            .session
            .read_response()
            .await
            .map_err(|e| error_map::io_error(limits, e))?
            .ok_or_else(connection_closed)?;
        Ok(with(response.parsed()))
    }

    /// Reads responses until the one tagged `tag`, passing every other one to
    /// `on_untagged`. A tagged NO or BAD becomes [`NetError::Refused`].
    pub(super) async fn read_until_tagged(
        &mut self,
        name: &'static str,
        tag: &RequestId,
        mut on_untagged: impl FnMut(&Response<'_>) -> Result<(), NetError>,
    ) -> Result<TaggedOk, NetError> {
        loop {
            let step = self
                .next_response(|response| match response {
                    Response::Done {
                        tag: done_tag,
                        status,
                        outcome,
                    } if done_tag == tag => Some(match status {
                        Status::Ok => Ok(TaggedOk {
                            append_uid: match &outcome.code {
                                Some(ResponseCode::AppendUid(validity, uids)) => {
                                    Some((*validity, uids.clone()))
                                }
                                _ => None,
                            },
                        }),
                        Status::No | Status::Bad => Err(NetError::Refused {
                            command: name,
                            reason: outcome.information.as_deref().unwrap_or("").to_owned(),
                        }),
                        other => Err(NetError::Protocol(format!(
                            "{name} ended with status {other:?}"
                        ))),
                    }),
                    Response::Data {
                        status: Status::Bye,
                        outcome,
                    } => Some(Err(NetError::Refused {
                        command: name,
                        reason: format!(
                            "the server closed the connection: {}",
                            outcome.information.as_deref().unwrap_or("BYE")
                        ),
                    })),
                    other => on_untagged(other).err().map(Err),
                })
                .await?;
            if let Some(done) = step {
                return done;
            }
        }
    }

    /// Sends `line` and reads up to its tagged response.
    pub(super) async fn command(
        &mut self,
        name: &'static str,
        line: &str,
        on_untagged: impl FnMut(&Response<'_>) -> Result<(), NetError>,
    ) -> Result<TaggedOk, NetError> {
        let tag = self.send_command(name, line).await?;
        self.read_until_tagged(name, &tag, on_untagged).await
    }
}

/// Untagged responses that only tell of other changes to the mailbox.
pub(super) fn ignore(_: &Response<'_>) -> Result<(), NetError> {
    Ok(())
}

fn connection_closed() -> NetError {
    NetError::Io(std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "the server closed the connection",
    ))
}
