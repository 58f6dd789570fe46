//! Watching an account: seal mail as it arrives — IDLE on INBOX, polling every folder.
//!
//! One full pass (`Vault::seal` over every folder) first, then a loop: a
//! dedicated session waits in IDLE on INBOX and each change (or IDLE
//! timeout) triggers an INBOX pass; every poll interval a full pass covers
//! the other folders, and INBOX too when the server has no IDLE. Any
//! connection or sealing error backs off (1 s, 2, 4 … up to a cap, with
//! jitter) and reconnects: a server restart or a lost network never ends
//! the watch. A login the server refuses for good does end it (retrying
//! could get the account locked), as do connection settings that cannot
//! work; see `retrying_cannot_fix`. Passes are never interrupted; a stop request ends the loop
//! at the next wait (the sealing journal makes any stop safe anyway).
//!
//! * [`event`] — what the caller sees;
//! * [`inbox`] — the IDLE session;
//! * [`backoff`] — the waits after an error.

mod backoff;
mod event;
mod inbox;

use std::future::Future;
use std::pin::{Pin, pin};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::FutureExt as _;
use futures::future::{Fuse, FusedFuture as _};

pub use event::{PassScope, WatchEvent};

use self::backoff::Backoff;
use self::inbox::InboxIdle;
use crate::accounts::Connection;
use crate::seal::{SealOptions, SealProgress};
use crate::{Vault, VaultError};
use coffer_net::NetError;

/// The longest IDLE before it is ended and re-issued: RFC 2177 lets a
/// server drop a client idle for 30 minutes and asks clients to re-issue
/// at least every 29; a minute of margin covers slow networks.
pub const MAX_IDLE: Duration = Duration::from_secs(28 * 60);

/// How to run `watch`.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Time between full passes over every folder (at least one second).
    pub poll_interval: Duration,
    /// Longest single IDLE before INBOX is looked at anyway (capped at [`MAX_IDLE`]).
    pub idle_timeout: Duration,
    /// First wait after an error; it doubles on each further error.
    pub backoff_initial: Duration,
    /// Longest wait after errors.
    pub backoff_max: Duration,
    /// How each pass seals (`folders` and `dry_run` are set by the watch).
    pub seal: SealOptions,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(600),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
            seal: SealOptions::default(),
        }
    }
}

/// The caller's stop request, fused so it can be checked after it fired.
type Shutdown<'s, S> = Pin<&'s mut Fuse<S>>;

impl Vault {
    /// Keeps `account` (or the only account) sealed as mail arrives, until
    /// `shutdown` completes. Transient errors (connections, the server,
    /// a failed pass) are reported as [`WatchEvent::Retrying`] and retried
    /// after a back-off; `Err` only for what retrying cannot fix (no such
    /// account). Returns `Ok` once stopped, after the current pass.
    #[tracing::instrument(skip_all, fields(account = account.unwrap_or("")))]
    pub async fn watch(
        &self,
        account: Option<&str>,
        options: &WatchOptions,
        mut on_event: impl FnMut(WatchEvent),
        shutdown: impl Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let conn = self.connection(account)?;
        // Held for the whole watch: a `seal` meanwhile is refused.
        let _lock = self.lock_account(&conn.name)?;
        let mut shutdown = pin!(shutdown.fuse());
        on_event(WatchEvent::Started {
            account: conn.name.clone(),
        });
        let mut state = Loop {
            conn: &conn,
            poll: match self.org_policy()?.watch_interval_seconds {
                Some(max) => options.poll_interval.min(Duration::from_secs(max)),
                None => options.poll_interval,
            }
            .max(Duration::from_secs(1)),
            idle_for: options.idle_timeout.clamp(Duration::from_secs(1), MAX_IDLE),
            seal: SealOptions {
                dry_run: false,
                ..options.seal.clone()
            },
            backoff: Backoff::new(options.backoff_initial, options.backoff_max),
            idle: None,
            use_idle: true,
            next_full: Instant::now(),
            inbox_due: false,
        };
        // Login refusals in a row.
        let mut refusals = 0;
        while !stopping(&mut shutdown) {
            let step = state.step(self, &mut on_event, &mut shutdown).await;
            if step.is_ok() {
                refusals = 0;
            }
            if let Err(error) = step {
                // Whatever broke, the IDLE session may be mid-command: start over.
                state.idle = None;
                if error.chain().any(|e| e.is::<VaultError>()) {
                    return Err(error);
                }
                refusals = match login_refusal(&error) {
                    Some(_) => refusals + 1,
                    None => 0,
                };
                if let Some(reason) = retrying_cannot_fix(&error, refusals) {
                    return Err(error.context(reason));
                }
                let wait = state.backoff.next_wait();
                // The caller logs the event; this is for -v runs of the app.
                tracing::info!(error = format!("{error:#}"), ?wait, "watch step failed");
                on_event(WatchEvent::Retrying {
                    error: format!("{error:#}"),
                    retry_in_seconds: wait.as_secs_f64(),
                });
                interruptible(&mut shutdown, tokio::time::sleep(wait)).await;
            }
        }
        if let Some(idle) = state.idle.take() {
            idle.close().await;
        }
        on_event(WatchEvent::Stopped);
        Ok(())
    }

    /// One sealing pass, its per-message events and its summary.
    async fn watch_pass(
        &self,
        conn: &Connection<'_>,
        scope: PassScope,
        options: &SealOptions,
        on_event: &mut impl FnMut(WatchEvent),
    ) -> anyhow::Result<()> {
        let options = SealOptions {
            folders: match scope {
                PassScope::AllFolders => Vec::new(),
                PassScope::Inbox => vec!["INBOX".to_owned()],
            },
            ..options.clone()
        };
        let summary = self
            .seal_locked(conn, &options, |p| {
                if let SealProgress::Planned { messages, .. } = p
                    && messages > 0
                {
                    on_event(WatchEvent::Sealing { scope, messages });
                }
                if let SealProgress::Sealed {
                    folder,
                    uid,
                    internaldate,
                    original_removed,
                } = p
                {
                    let sealed_at = unix_now();
                    on_event(WatchEvent::Sealed {
                        folder,
                        uid,
                        internaldate,
                        sealed_at,
                        delay_seconds: sealed_at - internaldate as f64,
                        original_removed,
                    });
                }
            })
            .await?;
        on_event(WatchEvent::PassFinished { scope, summary });
        // Messages waiting in the outbox go out when due, with back-off.
        match self.flush_outbox_of(Some(&conn.name), false).await {
            Ok(reports) => {
                for r in reports {
                    on_event(WatchEvent::Outbox { report: r });
                }
            }
            Err(error) => tracing::warn!(error = format!("{error:#}"), "could not try the outbox"),
        }
        Ok(())
    }
}

/// Where the watch loop stands between steps.
struct Loop<'c> {
    conn: &'c Connection<'c>,
    poll: Duration,
    idle_for: Duration,
    seal: SealOptions,
    backoff: Backoff,
    /// The IDLE session, when connected.
    idle: Option<InboxIdle>,
    /// False once the server turned out to lack IDLE.
    use_idle: bool,
    next_full: Instant,
    /// INBOX may hold new mail: pass over it before waiting again.
    inbox_due: bool,
}

impl Loop<'_> {
    /// Does the one thing due now: a full pass, an INBOX pass, or a wait.
    async fn step<S: Future<Output = ()>>(
        &mut self,
        vault: &Vault,
        on_event: &mut impl FnMut(WatchEvent),
        shutdown: &mut Shutdown<'_, S>,
    ) -> anyhow::Result<()> {
        if Instant::now() >= self.next_full {
            vault
                .watch_pass(self.conn, PassScope::AllFolders, &self.seal, on_event)
                .await?;
            self.backoff.reset();
            self.next_full = Instant::now() + self.poll;
            self.inbox_due = false;
            return Ok(());
        }
        if self.use_idle && self.idle.is_none() {
            self.idle = Some(InboxIdle::open(self.conn).await?);
            // IDLE reports only what arrives while idling: look first.
            self.inbox_due = true;
        }
        if self.inbox_due {
            vault
                .watch_pass(self.conn, PassScope::Inbox, &self.seal, on_event)
                .await?;
            self.backoff.reset();
            self.inbox_due = false;
            return Ok(());
        }
        let until_full = self.next_full.saturating_duration_since(Instant::now());
        if until_full.is_zero() {
            return Ok(());
        }
        let Some(idle) = self.idle.as_mut().filter(|_| self.use_idle) else {
            interruptible(shutdown, tokio::time::sleep(until_full)).await;
            return Ok(());
        };
        match interruptible(shutdown, idle.wait(self.idle_for.min(until_full))).await {
            // Stopping mid-IDLE: the session cannot be used again.
            None => self.idle = None,
            // A change, or a timeout: either way look at INBOX (a timeout
            // also catches anything a server failed to announce).
            Some(Ok(Some(_))) => self.inbox_due = true,
            Some(Ok(None)) => {
                self.use_idle = false;
                if let Some(idle) = self.idle.take() {
                    idle.close().await;
                }
                on_event(WatchEvent::IdleUnavailable);
            }
            Some(Err(e)) => return Err(e),
        }
        Ok(())
    }
}

/// What a login refusal says about retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// The credentials are wrong or no longer valid (RFC 5530
    /// AUTHENTICATIONFAILED, AUTHORIZATIONFAILED, EXPIRED, PRIVACYREQUIRED).
    Permanent,
    /// The server is busy or broken for now (UNAVAILABLE, INUSE, LIMIT,
    /// SERVERBUG, or words to that effect).
    Temporary,
    /// The server does not say.
    Unclear,
}

/// Login refusals without a clear reason tolerated in a row before watch
/// gives up.
const UNCLEAR_REFUSALS: u32 = 3;

fn classify_refusal(reason: &str) -> Refusal {
    let upper = reason.to_ascii_uppercase();
    let code = |c: &str| upper.contains(&format!("[{c}"));
    if [
        "AUTHENTICATIONFAILED",
        "AUTHORIZATIONFAILED",
        "EXPIRED",
        "PRIVACYREQUIRED",
    ]
    .iter()
    .any(|c| code(c))
    {
        Refusal::Permanent
    } else if ["UNAVAILABLE", "INUSE", "LIMIT", "SERVERBUG"]
        .iter()
        .any(|c| code(c))
        || ["TEMPORAR", "TRY AGAIN", "TOO MANY"]
            .iter()
            .any(|w| upper.contains(w))
    {
        Refusal::Temporary
    } else {
        Refusal::Unclear
    }
}

/// Whether `error` is a login the server refused (then whether retrying may
/// help).
fn login_refusal(error: &anyhow::Error) -> Option<Refusal> {
    error
        .chain()
        .find_map(|e| match e.downcast_ref::<NetError>()? {
            NetError::AuthFailed { reason, .. } => Some(classify_refusal(reason)),
            _ => None,
        })
}

/// Why retrying `error` would not help, if so. `refusals` counts the login
/// refusals in a row, this one included. A login the server refuses for
/// good ends the watch (retried, it could get the account locked by the
/// provider), and so does one refused [`UNCLEAR_REFUSALS`] times without a
/// reason; a temporary refusal is retried. So is a TLS failure (a clock off
/// after sleep, a server's certificate being renewed): no password is sent
/// over a failed handshake. A configuration that cannot work (an unusable CA
/// file, plaintext to a remote host) ends it.
fn retrying_cannot_fix(error: &anyhow::Error, refusals: u32) -> Option<&'static str> {
    const LOGIN: &str = "watch stopped: the server refuses this account's login, and logging \
                         in again and again can get the account locked; correct the password \
                         (`coffer account remove` and `account add`), check it with `coffer \
                         account test`, then start watch again";
    match crate::code_of(error) {
        crate::Code::NotSupported => {
            return Some("watch stopped: this account cannot be sealed safely (see above)");
        }
        crate::Code::SignInAgain | crate::Code::OAuthClientMissing => {
            return Some("watch stopped: the account's sign-in must be renewed (see above)");
        }
        _ => {}
    }
    match login_refusal(error) {
        Some(Refusal::Permanent) => return Some(LOGIN),
        Some(Refusal::Unclear) if refusals >= UNCLEAR_REFUSALS => return Some(LOGIN),
        Some(_) => return None,
        None => {}
    }
    error
        .chain()
        .find_map(|e| match e.downcast_ref::<NetError>()? {
            NetError::CaFile { .. } | NetError::InsecureNotLoopback { .. } => Some(
                "watch stopped: the account's connection settings cannot work, which \
                 waiting will not fix; check the account with `coffer account test`",
            ),
            _ => None,
        })
}

/// Whether the caller asked to stop (checked without waiting).
fn stopping<S: Future<Output = ()>>(shutdown: &mut Shutdown<'_, S>) -> bool {
    shutdown.is_terminated() || shutdown.as_mut().now_or_never().is_some()
}

/// Runs `work` unless the stop request comes first (`None` then).
async fn interruptible<S: Future<Output = ()>, T>(
    shutdown: &mut Shutdown<'_, S>,
    work: impl Future<Output = T>,
) -> Option<T> {
    if shutdown.is_terminated() {
        return None;
    }
    tokio::select! {
        biased;
        () = shutdown.as_mut() => None,
        done = work => Some(done),
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(reason: &str) -> anyhow::Error {
        anyhow::Error::new(NetError::AuthFailed {
            user: "alice".to_owned(),
            reason: reason.to_owned(),
        })
        .context("connecting")
    }

    #[test]
    fn wrong_credentials_end_the_watch_at_once_and_busy_servers_never_do() {
        for permanent in [
            "[AUTHENTICATIONFAILED] Authentication failed.",
            "[AUTHORIZATIONFAILED] No such authorization-ID",
            "[EXPIRED] That password is expired",
            "[PRIVACYREQUIRED] Connection offers no privacy",
        ] {
            assert!(
                retrying_cannot_fix(&refused(permanent), 1).is_some(),
                "{permanent}"
            );
        }
        for temporary in [
            "[UNAVAILABLE] Temporary authentication failure.",
            "[INUSE] Mailbox in use",
            "[LIMIT] Too many simultaneous connections",
            "[SERVERBUG] Internal error",
            "[ALERT] Too many simultaneous connections. (Failure)",
            "Temporary authentication failure. [host:2026-11-25 10:00:00]",
            "Please try again later",
        ] {
            assert!(
                retrying_cannot_fix(&refused(temporary), 50).is_none(),
                "{temporary}"
            );
        }
        let unclear = refused("Login failed.");
        assert!(retrying_cannot_fix(&unclear, 1).is_none());
        assert!(retrying_cannot_fix(&unclear, UNCLEAR_REFUSALS - 1).is_none());
        assert!(retrying_cannot_fix(&unclear, UNCLEAR_REFUSALS).is_some());
    }

    #[test]
    fn tls_and_network_trouble_is_retried_and_impossible_settings_are_not() {
        let retried = [
            NetError::Certificate {
                reason: "expired".to_owned(),
            },
            NetError::StartTlsNotOffered,
            NetError::Io(std::io::Error::other("reset")),
        ];
        for e in retried {
            assert!(retrying_cannot_fix(&anyhow::Error::new(e), 0).is_none());
        }
        let fatal = NetError::InsecureNotLoopback {
            host: "mail.example.com".to_owned(),
        };
        assert!(retrying_cannot_fix(&anyhow::Error::new(fatal), 0).is_some());
    }
}
