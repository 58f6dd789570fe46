//! IDLE (RFC 2177): wait until the selected folder changes, or a timeout passes.
//!
//! async-imap's `Session::idle` consumes the session and gives it back only
//! from `Handle::done`; we speak the three steps (IDLE, wait, DONE) over the
//! session's own command and response calls instead, so the session stays in
//! place and every step keeps our timeouts and error mapping.

use std::time::Duration;

use imap_proto::{Response, Status};

use super::{ImapSession, command, error_map, timed};
use crate::NetError;

/// Why [`ImapSession::idle_wait`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleOutcome {
    /// The server reported a change: new mail (EXISTS), a removal, or flags
    /// changed by another client. Look at the folder again.
    NewData,
    /// Nothing happened within the timeout.
    Timeout,
}

impl ImapSession {
    /// Waits up to `timeout` for the selected folder to change.
    ///
    /// Only changes reported while idling count: check the folder (e.g. with
    /// [`ImapSession::uid_list`]) before calling this. Servers may end an IDLE
    /// after 30 minutes, so keep `timeout` below that and call again. Needs the
    /// IDLE capability ([`NetError::MissingCapability`] otherwise: poll instead).
    ///
    /// If the returned future is dropped while waiting, the connection is
    /// left idling and must be dropped too.
    pub async fn idle_wait(&mut self, timeout: Duration) -> Result<IdleOutcome, NetError> {
        self.require_capability("IDLE").await?;
        let limits = self.limits;
        let (tag, mut changed) = timed(limits, "starting IDLE", async {
            let tag = self.send_command("IDLE", "IDLE").await?;
            let mut changed = false;
            loop {
                let step = self
                    .next_response(|response| match response {
                        Response::Continue(_) => Some(Ok(())),
                        Response::Done {
                            tag: done_tag,
                            outcome,
                            ..
                        } if *done_tag == tag => Some(Err(NetError::Refused {
                            command: "IDLE",
                            reason: outcome.information.as_deref().unwrap_or("").to_owned(),
                        })),
                        other => {
                            changed |= is_change(other);
                            None
                        }
                    })
                    .await?;
                if let Some(started) = step {
                    return started.map(|()| (tag, changed));
                }
            }
        })
        .await?;
        let deadline = tokio::time::Instant::now() + timeout;
        while !changed {
            let Ok(next) = tokio::time::timeout_at(deadline, self.next_response(is_change)).await
            else {
                break;
            };
            changed = next?;
        }
        timed(limits, "ending IDLE", async {
            self.session
                .run_command_untagged("DONE")
                .await
                .map_err(|e| error_map::imap_error("IDLE", limits, e))?;
            self.read_until_tagged("IDLE", &tag, command::ignore).await
        })
        .await?;
        Ok(if changed {
            IdleOutcome::NewData
        } else {
            IdleOutcome::Timeout
        })
    }
}

/// Whether an untagged response tells of a change to the folder, rather than
/// being a keep-alive (`* OK Still here`) or other status text.
fn is_change(response: &Response<'_>) -> bool {
    !matches!(
        response,
        Response::Data {
            status: Status::Ok | Status::No | Status::Bad,
            ..
        } | Response::Continue(_)
            | Response::Capabilities(_)
    )
}
