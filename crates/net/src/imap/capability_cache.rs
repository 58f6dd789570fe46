//! The capabilities the safe path depends on (UIDPLUS, LITERAL+, IDLE), read once per session.

use super::ImapSession;
use crate::NetError;

impl ImapSession {
    /// Whether the server advertises `name` after login, asking it only the
    /// first time: capabilities do not change within an authenticated session.
    pub(super) async fn has_cached_capability(&mut self, name: &str) -> Result<bool, NetError> {
        let caps = match &self.capability_cache {
            Some(caps) => caps,
            None => {
                let fresh = self.capabilities().await?;
                self.capability_cache.insert(fresh)
            }
        };
        Ok(caps.iter().any(|c| c.eq_ignore_ascii_case(name)))
    }

    /// Fails with [`NetError::MissingCapability`] unless the server advertises `name`.
    pub(super) async fn require_capability(&mut self, name: &'static str) -> Result<(), NetError> {
        if self.has_cached_capability(name).await? {
            Ok(())
        } else {
            Err(NetError::MissingCapability(name))
        }
    }

    /// Whether the server is Gmail (`X-GM-EXT-1`): folders are labels there,
    /// and removing a message from a folder keeps it in All Mail.
    pub async fn is_gmail(&mut self) -> Result<bool, NetError> {
        self.has_cached_capability("X-GM-EXT-1").await
    }

    /// Whether the server advertises UIDPLUS (RFC 4315): APPENDUID and
    /// `UID EXPUNGE`, without which originals cannot be removed safely.
    pub async fn has_uidplus(&mut self) -> Result<bool, NetError> {
        self.has_cached_capability("UIDPLUS").await
    }
}
