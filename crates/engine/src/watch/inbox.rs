//! The dedicated INBOX session that waits in IDLE for new mail between passes.

use std::time::Duration;

use anyhow::Context as _;
use coffer_net::{IdleOutcome, ImapSession, NetError};

use crate::accounts::Connection;

/// A session with INBOX open read-only, used for nothing but IDLE: the
/// sealing passes use sessions of their own, so a pass never waits on an
/// IDLE and an IDLE never sees half a pass.
pub(super) struct InboxIdle {
    session: ImapSession,
}

impl InboxIdle {
    /// Logs in and opens INBOX. EXAMINE rather than SELECT: this session
    /// changes nothing, and a read-only open cannot clear `\Recent`.
    pub(super) async fn open(conn: &Connection<'_>) -> anyhow::Result<Self> {
        let mut session = conn.connect().await?;
        session
            .examine("INBOX")
            .await
            .context("opening INBOX to wait for new mail")?;
        Ok(Self { session })
    }

    /// Waits up to `timeout` for INBOX to change. `Ok(None)` when the
    /// server has no IDLE (nothing was sent; poll instead). Dropping the
    /// returned future mid-wait leaves the session unusable: drop it too.
    pub(super) async fn wait(&mut self, timeout: Duration) -> anyhow::Result<Option<IdleOutcome>> {
        match self.session.idle_wait(timeout).await {
            Ok(outcome) => Ok(Some(outcome)),
            Err(NetError::MissingCapability("IDLE")) => Ok(None),
            Err(e) => Err(anyhow::Error::new(e).context("waiting for new mail in INBOX (IDLE)")),
        }
    }

    /// Logs out; a failure only means the server is already gone.
    pub(super) async fn close(self) {
        if let Err(error) = self.session.logout().await {
            tracing::debug!(%error, "logout of the IDLE session failed");
        }
    }
}
