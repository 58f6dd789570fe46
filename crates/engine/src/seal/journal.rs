//! Glue between the sealing run and the store's journal: one account's rows, written before each step.

use anyhow::Context as _;
use coffer_store::{JournalRow, JournalState, Store};

/// The journal of one account.
pub(super) struct Journal<'a> {
    store: &'a Store,
    account: String,
}

impl<'a> Journal<'a> {
    pub(super) fn new(store: &'a Store, account: &str) -> Self {
        Self {
            store,
            account: account.to_owned(),
        }
    }

    /// The account whose journal this is.
    pub(super) fn account(&self) -> &str {
        &self.account
    }

    /// The database the journal lives in.
    pub(super) fn store(&self) -> &'a Store {
        self.store
    }

    /// A fresh `planned` row for an original.
    pub(super) fn planned(
        &self,
        folder: &str,
        uid_validity: u32,
        uid: u32,
        size: u64,
    ) -> JournalRow {
        JournalRow::planned(&self.account, folder, uid_validity, uid, size)
    }

    /// Every row of `folder`.
    pub(super) fn rows(&self, folder: &str) -> anyhow::Result<Vec<JournalRow>> {
        self.store
            .journal_rows(&self.account, folder)
            .with_context(|| format!("reading the sealing journal of {folder:?}"))
    }

    /// Commits `rows` (one transaction, on disk when this returns).
    pub(super) fn write<'r>(
        &self,
        rows: impl IntoIterator<Item = &'r JournalRow>,
    ) -> anyhow::Result<()> {
        let rows: Vec<JournalRow> = rows.into_iter().cloned().collect();
        self.store
            .journal_write(&rows)
            .context("writing the sealing journal")
    }
}

/// Moves `row` to `state` with a note.
pub(super) fn set(row: &mut JournalRow, state: JournalState, note: &str) {
    row.state = state;
    note.clone_into(&mut row.note);
}
