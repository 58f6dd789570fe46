//! Catching a server that treats `UID EXPUNGE` as a bare `EXPUNGE`, and remembering, per account, to expunge there no more.
//!
//! Before each `UID EXPUNGE` the worker notes the other messages marked
//! `\Deleted` in the folder (`UID SEARCH DELETED`, less this run's own
//! originals). When every one of them is gone after it, the server removed
//! what it was not asked to: the folder stops, and the account is marked so
//! that no later run expunges there (sealed copies are still made and
//! verified; the originals stay) until the user allows it again. Another
//! client expunging the folder at that very moment is the one false alarm.
//! With no other `\Deleted` message in the folder there is nothing to
//! compare, and nothing a bare `EXPUNGE` could take beyond the batch.

use std::collections::HashSet;

use anyhow::Context as _;
use coffer_net::ImapSession;
use coffer_store::Store;

use crate::Vault;

/// The setting, one per account (`expunge_refused:NAME`), that holds why
/// expunging is off.
const SETTING: &str = "expunge_refused";

fn key(account: &str) -> String {
    format!("{SETTING}:{account}")
}

/// The other `\Deleted` messages of the selected folder, noted before a
/// `UID EXPUNGE`.
pub(super) struct Watch {
    others: Vec<u32>,
}

impl Watch {
    /// Notes the messages marked `\Deleted` that are none of `ours` (the
    /// originals this run removes in the folder, in any batch).
    pub(super) async fn before(
        session: &mut ImapSession,
        ours: impl Fn(u32) -> bool,
    ) -> anyhow::Result<Self> {
        let others = session
            .uid_search_deleted()
            .await
            .context("noting the messages other clients marked \\Deleted")?
            .into_iter()
            .filter(|u| !ours(*u))
            .collect();
        Ok(Self { others })
    }

    /// After the `UID EXPUNGE`: the other messages, when every one is gone.
    pub(super) async fn all_gone(
        self,
        session: &mut ImapSession,
    ) -> anyhow::Result<Option<Vec<u32>>> {
        if self.others.is_empty() {
            return Ok(None);
        }
        let left = session
            .uids_present(&self.others)
            .await
            .context("checking that UID EXPUNGE left other clients' \\Deleted mail alone")?;
        Ok(left.is_empty().then_some(self.others))
    }
}

/// What happened, as recorded for the account: `gone` in `folder` went
/// with the originals.
pub(super) fn finding(folder: &str, gone: &[u32]) -> String {
    let shown: Vec<String> = gone.iter().take(20).map(u32::to_string).collect();
    let more = match gone.len() {
        n if n > shown.len() => format!(", … ({n} in all)"),
        _ => String::new(),
    };
    format!(
        "UID EXPUNGE of sealed originals in {folder:?} also removed {} other message(s) marked \
         \\Deleted (UID {}{more}) that another client had left there: the server seems to treat \
         UID EXPUNGE as a bare EXPUNGE",
        gone.len(),
        shown.join(", "),
    )
}

/// What the user is told when it happens.
pub(super) fn alarm(account: &str, finding: &str) -> String {
    format!(
        "{finding}. This folder was stopped, and Coffer will not expunge on account \
         {account:?} again (sealed copies are still made and verified; the plaintext originals \
         stay) until you run `coffer account allow-expunge {account}`. The one false alarm: \
         another client expunging this folder at that very moment"
    )
}

/// What every later run says while expunging is off (`why`: as recorded).
pub(super) fn warning(account: &str, why: &str) -> String {
    format!(
        "expunging is off for this account, {why}; sealed copies are made and verified, and \
         the plaintext originals KEPT on the server. Once you have checked the server (another \
         client expunging at that very moment is the one false alarm), `coffer account \
         allow-expunge {account}` allows it again"
    )
}

/// Why expunging is off for `account` (`None`: it is not).
pub(super) fn refused(store: &Store, account: &str) -> anyhow::Result<Option<String>> {
    store
        .setting(&key(account))
        .context("reading whether expunging is off for the account")
}

/// Turns expunging off for `account`, remembering why.
pub(super) fn refuse(store: &Store, account: &str, reason: &str) -> anyhow::Result<()> {
    let when = crate::rfc3339::now();
    store
        .set_setting(&key(account), &format!("since {when}: {reason}"))
        .context("recording that expunging is off for the account")
}

impl Vault {
    /// Why `seal` no longer expunges on `account` (it caught the server
    /// removing other clients' `\Deleted` mail on `UID EXPUNGE`), or `None`.
    pub fn expunge_refusal(&self, account: &str) -> anyhow::Result<Option<String>> {
        let conn = self.connection(Some(account))?;
        refused(self.store(), &conn.name)
    }

    /// Lets `seal` remove originals on `account` again after it caught the
    /// server expunging too much. Returns whether expunging was off.
    pub fn allow_expunge(&self, account: &str) -> anyhow::Result<bool> {
        let conn = self.connection(Some(account))?;
        self.store()
            .remove_setting(&key(&conn.name))
            .context("allowing expunging on the account again")
    }
}

/// The originals this run plans to remove, by folder: not another
/// client's `\Deleted` mail, whatever batch they are in.
pub(super) type Ours = std::collections::HashMap<String, HashSet<u32>>;
