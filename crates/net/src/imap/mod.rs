//! An authenticated IMAP session, one operation per file.

mod append;
mod capabilities;
mod capability_cache;
mod command;
mod condstore;
mod connect;
mod create;
mod date;
mod error_map;
mod examine;
mod expunge;
mod expunge_many;
mod fetch;
mod fetch_items;
mod fetch_one;
mod flags;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod heads;
mod idle;
mod list;
mod move_many;
mod move_one;
mod present;
mod ranges;
mod search;
mod search_deleted;
mod select;
mod store;
mod store_many;
mod uid;
mod uid_list;
mod uid_set;

use crate::stream::ImapStream;
use crate::{Limits, NetError};

pub use append::{AppendUid, ToAppend};
pub use connect::Login;
pub use examine::FolderStatus;
pub use fetch::FetchedMessage;
pub use heads::MessageHead;
pub use idle::IdleOutcome;
pub use list::{Folder, SpecialUse};
pub use ranges::MessageRanges;
pub use uid_list::UidInfo;

/// A logged-in IMAP session over a verified transport.
///
/// Built with [`ImapSession::connect`]; every method validates its arguments
/// before sending and applies the configured timeout.
pub struct ImapSession {
    session: async_imap::Session<ImapStream>,
    limits: Limits,
    /// Capabilities after login, read once on first need (see `capability_cache.rs`).
    capability_cache: Option<Vec<String>>,
}

impl std::fmt::Debug for ImapSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapSession")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl ImapSession {
    /// Whether the session runs over TLS (always true unless the insecure
    /// loopback mode was asked for).
    pub fn is_tls(&self) -> bool {
        self.session.get_ref().is_tls()
    }

    /// Ends the session politely.
    pub async fn logout(mut self) -> Result<(), NetError> {
        let limits = self.limits;
        timed(limits, "logging out", async {
            self.session
                .logout()
                .await
                .map_err(|e| error_map::imap_error("LOGOUT", limits, e))
        })
        .await
    }
}

/// Runs `fut` under the configured timeout.
pub(crate) async fn timed<T>(
    limits: Limits,
    action: &'static str,
    fut: impl std::future::Future<Output = Result<T, NetError>>,
) -> Result<T, NetError> {
    use futures::FutureExt as _;
    // The IMAP parser underneath (imap-proto) can panic on some hostile
    // bytes (cargo-fuzz found a response code followed by non-UTF-8 text):
    // that is the server's fault, and an error like any other bad response.
    // The session is not used again after it.
    let guarded = std::panic::AssertUnwindSafe(fut).catch_unwind();
    match tokio::time::timeout(limits.timeout, guarded).await {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => Err(unreadable(action, panic.as_ref())),
        Err(_) => Err(NetError::Timeout {
            action,
            seconds: limits.timeout.as_secs(),
        }),
    }
}

/// The error for a server response the IMAP parser panicked on.
pub(crate) fn unreadable(action: &'static str, panic: &(dyn std::any::Any + Send)) -> NetError {
    let why = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    NetError::Protocol(format!(
        "the server sent a response the IMAP parser cannot read while {action} ({why})"
    ))
}
