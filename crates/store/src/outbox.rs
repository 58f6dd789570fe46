//! The outbox: messages being sent, kept in the encrypted database until
//! each recipient has an answer. A message is never lost: it leaves the
//! outbox only when sent (and its sealed copy stored) or when the user
//! discards it.

use rusqlite::{OptionalExtension as _, Row, params};
use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};

/// Where one recipient stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientState {
    /// Not accepted yet (never tried, or a temporary failure).
    Pending,
    /// The server took the message for this recipient: never sent again.
    Accepted,
    /// Refused for good (5xx).
    Rejected,
}

/// One recipient of an outgoing message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// The address.
    pub address: String,
    /// Where it stands.
    pub state: RecipientState,
    /// The server's last reply about it.
    #[serde(default)]
    pub reply: String,
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Some recipients still to try.
    Queued,
    /// Every recipient answered and at least one took it.
    Sent,
    /// Final: every recipient answered and some refused it for good.
    Failed,
}

impl OutboxState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            _ => Self::Queued,
        }
    }
}

/// A message in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Its id in the outbox.
    pub id: i64,
    /// The account that sends it.
    pub account: String,
    /// Its Message-ID.
    pub message_id: String,
    /// Its subject, for listings.
    pub subject: String,
    /// The envelope sender.
    pub envelope_from: String,
    /// The bytes submitted (no Bcc).
    pub data: Vec<u8>,
    /// The sender's copy (with Bcc), sealed into Sent once sent.
    pub sent_copy: Vec<u8>,
    /// Each recipient's state.
    pub recipients: Vec<Recipient>,
    /// Where it stands.
    pub state: OutboxState,
    /// Tries so far.
    pub attempts: u32,
    /// Not before this time (Unix seconds).
    pub next_attempt_at: i64,
    /// The last error, for the user.
    pub last_error: String,
    /// The sealed copy is in Sent.
    pub copy_stored: bool,
    /// When it was queued (Unix seconds).
    pub created_at: i64,
}

const COLUMNS: &str = "id, account, message_id, subject, envelope_from, data, sent_copy, \
                       recipients, state, attempts, next_attempt_at, last_error, copy_stored, \
                       created_at";

fn read(r: &Row<'_>) -> rusqlite::Result<(Outgoing, String)> {
    let recipients: String = r.get(7)?;
    let state: String = r.get(8)?;
    Ok((
        Outgoing {
            id: r.get(0)?,
            account: r.get(1)?,
            message_id: r.get(2)?,
            subject: r.get(3)?,
            envelope_from: r.get(4)?,
            data: r.get(5)?,
            sent_copy: r.get(6)?,
            recipients: Vec::new(),
            state: OutboxState::parse(&state),
            attempts: r.get(9)?,
            next_attempt_at: r.get(10)?,
            last_error: r.get(11)?,
            copy_stored: r.get::<_, i64>(12)? != 0,
            created_at: r.get(13)?,
        },
        recipients,
    ))
}

fn with_recipients((mut o, json): (Outgoing, String)) -> Result<Outgoing, StoreError> {
    o.recipients = serde_json::from_str(&json).map_err(json_error)?;
    Ok(o)
}

fn json_error(e: serde_json::Error) -> StoreError {
    StoreError::Sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

impl Store {
    /// Queues a message; returns its id. `o.id` is ignored.
    pub fn outbox_add(&self, o: &Outgoing) -> Result<i64, StoreError> {
        let recipients = serde_json::to_string(&o.recipients).map_err(json_error)?;
        self.conn().execute(
            "INSERT INTO outbox (account, message_id, subject, envelope_from, data, sent_copy, \
             recipients, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                o.account,
                o.message_id,
                o.subject,
                o.envelope_from,
                o.data,
                o.sent_copy,
                recipients,
                o.state.as_str()
            ],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Records a try's outcome: recipients, state, attempts, the next try,
    /// the error, whether the copy is stored.
    pub fn outbox_update(&self, o: &Outgoing) -> Result<(), StoreError> {
        let recipients = serde_json::to_string(&o.recipients).map_err(json_error)?;
        self.conn().execute(
            "UPDATE outbox SET recipients = ?2, state = ?3, attempts = ?4, next_attempt_at = ?5, \
             last_error = ?6, copy_stored = ?7 WHERE id = ?1",
            params![
                o.id,
                recipients,
                o.state.as_str(),
                o.attempts,
                o.next_attempt_at,
                o.last_error,
                i64::from(o.copy_stored)
            ],
        )?;
        Ok(())
    }

    /// One message.
    pub fn outbox_get(&self, id: i64) -> Result<Option<Outgoing>, StoreError> {
        let row = self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"),
                [id],
                read,
            )
            .optional()?;
        row.map(with_recipients).transpose()
    }

    /// Every message, oldest first.
    pub fn outbox_list(&self) -> Result<Vec<Outgoing>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached(&format!("SELECT {COLUMNS} FROM outbox ORDER BY id"))?;
        let rows = stmt.query_map([], read)?;
        rows.map(|r| with_recipients(r?)).collect()
    }

    /// Removes a message; whether there was one.
    pub fn outbox_remove(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .execute("DELETE FROM outbox WHERE id = ?1", [id])?
            > 0)
    }
}
