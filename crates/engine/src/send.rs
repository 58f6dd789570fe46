//! Sending: compose, queue in the outbox, submit over SMTP, and keep the
//! sender's copy only sealed, in the special-use Sent folder.
//!
//! A message enters the outbox (inside the encrypted database) before any
//! connection is made, and leaves it only once every recipient has an
//! answer and its sealed copy is in Sent. Each recipient's answer is kept:
//! one the server accepted is never sent to again; a 5xx is final (the
//! message stays, marked failed, with the server's reply); a 4xx or a
//! broken connection is retried later, with back-off. A connection lost
//! after the message's final dot is the one case that can send twice: the
//! server may have taken it without our hearing so, and the message is
//! tried again (a duplicate is better than a loss); `docs/SENDING.md`.

use anyhow::Context as _;
use coffer_core::compose::{self, AttachmentFile, Draft, Person};
use coffer_core::seal::{InternalDate, SealInput};
use coffer_net::smtp::Answer;
use coffer_net::{NetError, SpecialUse};
use coffer_store::{CopyPlace, Outgoing};
pub use coffer_store::{OutboxState, Recipient, RecipientState};
use serde::Serialize;

use crate::accounts::Connection;
use crate::index::{SealedOriginal, record_many};
use crate::{Code, Vault, refusal};

/// What the user asks to send.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    /// `To` (each `Name <addr>` or `addr`).
    pub to: Vec<String>,
    /// `Cc`.
    pub cc: Vec<String>,
    /// `Bcc`.
    pub bcc: Vec<String>,
    /// The subject (a reply or forward gets one from the original if empty).
    pub subject: String,
    /// The text.
    pub text: String,
    /// An HTML alternative.
    pub html: Option<String>,
    /// Files.
    pub attachments: Vec<AttachmentFile>,
    /// Reply to this indexed message: threading headers and its text quoted.
    pub reply_to: Option<i64>,
    /// Forward this indexed message, with its attachments.
    pub forward: Option<i64>,
}

/// What to compose from an existing message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefill {
    /// Reply to the sender.
    Reply,
    /// Reply to the sender and every other recipient.
    ReplyAll,
    /// Forward, with the attachments.
    Forward,
    /// Resume a saved draft.
    Draft,
}

/// What a try did, for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendReport {
    /// The outbox id (gone from the outbox when `state` is `sent`).
    pub id: i64,
    /// The Message-ID.
    pub message_id: String,
    /// The subject.
    pub subject: String,
    /// `queued`, `sent` or `failed`.
    pub state: OutboxState,
    /// Each recipient.
    pub recipients: Vec<Recipient>,
    /// Why it is still queued or failed.
    pub error: Option<String>,
    /// Where the sealed copy went (`None` until it is stored).
    pub sent_folder: Option<String>,
    /// The provider filed its own copy in Sent (no second copy was added;
    /// the sealing engine seals the provider's).
    pub provider_copy: bool,
}

/// Seconds before try `attempts + 1`: 30 s doubling, at most an hour.
fn backoff(attempts: u32) -> i64 {
    (30i64 << attempts.min(7)).min(3600)
}

fn people(list: &[String]) -> anyhow::Result<Vec<Person>> {
    list.iter()
        .map(|p| Person::parse(p).map_err(|e| refusal(Code::BadRequest, e.to_string())))
        .collect()
}

impl Vault {
    /// Composes `m`, queues it in the outbox, and tries to submit it once.
    /// `Ok` whatever the server said (see the report); `Err` when it could
    /// not even be queued (no such account, no SMTP server, bad addresses).
    pub async fn send(&self, account: Option<&str>, m: NewMessage) -> anyhow::Result<SendReport> {
        let conn = self.connection(account)?;
        if conn.smtp.is_none() {
            return Err(refusal(
                Code::BadRequest,
                format!(
                    "account {:?} has no SMTP server: add one with `coffer account add … --smtp HOST:PORT`",
                    conn.name
                ),
            ));
        }
        let draft = self.draft(&conn, m).await?;
        let composed =
            compose::compose(&draft).map_err(|e| refusal(Code::BadRequest, e.to_string()))?;
        let mut outgoing = Outgoing {
            id: 0,
            account: conn.name.clone(),
            message_id: draft.message_id.clone(),
            subject: draft.subject.clone(),
            envelope_from: composed.envelope_from,
            data: composed.data,
            sent_copy: composed.sent_copy,
            recipients: composed
                .recipients
                .into_iter()
                .map(|address| Recipient {
                    address,
                    state: RecipientState::Pending,
                    reply: String::new(),
                })
                .collect(),
            state: OutboxState::Queued,
            attempts: 0,
            next_attempt_at: 0,
            last_error: String::new(),
            copy_stored: false,
            created_at: crate::rfc3339::now_unix(),
        };
        outgoing.id = self
            .store()
            .outbox_add(&outgoing)
            .context("queueing the message in the outbox")?;
        Ok(self.try_send(&conn, outgoing).await)
    }

    /// Tries every queued message that is due (every one with `all`).
    pub async fn flush_outbox(&self, all: bool) -> anyhow::Result<Vec<SendReport>> {
        self.flush_outbox_of(None, all).await
    }

    /// [`Vault::flush_outbox`] for one account's messages (`watch`).
    pub async fn flush_outbox_of(
        &self,
        account: Option<&str>,
        all: bool,
    ) -> anyhow::Result<Vec<SendReport>> {
        let mut out = Vec::new();
        for o in self.store().outbox_list().context("reading the outbox")? {
            if account.is_some_and(|a| a != o.account) {
                continue;
            }
            let due = all || o.next_attempt_at <= crate::rfc3339::now_unix();
            let open = o.state == OutboxState::Queued || !o.copy_stored;
            if !(due && open) {
                continue;
            }
            let conn = self.connection(Some(&o.account))?;
            out.push(self.try_send(&conn, o).await);
        }
        Ok(out)
    }

    /// The outbox, oldest first.
    pub fn outbox(&self) -> anyhow::Result<Vec<SendReport>> {
        Ok(self
            .store()
            .outbox_list()
            .context("reading the outbox")?
            .iter()
            .map(|o| report(o, None))
            .collect())
    }

    /// Removes message `id` from the outbox, sent or not.
    pub fn discard(&self, id: i64) -> anyhow::Result<()> {
        if self
            .store()
            .outbox_remove(id)
            .context("changing the outbox")?
        {
            Ok(())
        } else {
            Err(refusal(
                Code::BadRequest,
                format!("there is no message {id} in the outbox (see `coffer outbox`)"),
            ))
        }
    }

    async fn draft(&self, conn: &Connection<'_>, m: NewMessage) -> anyhow::Result<Draft> {
        let from = Person::parse(&if conn.user.contains('@') {
            conn.user.clone()
        } else {
            format!("{}@{}", conn.user, conn.imap.host)
        })
        .map_err(|e| refusal(Code::BadRequest, format!("the account's address: {e}")))?;
        let mut d = Draft {
            message_id: compose::new_message_id(&mut rand::rngs::OsRng, &from),
            from,
            to: people(&m.to)?,
            cc: people(&m.cc)?,
            bcc: people(&m.bcc)?,
            subject: m.subject,
            text: m.text,
            html: m.html,
            attachments: m.attachments,
            in_reply_to: None,
            references: Vec::new(),
            date: crate::rfc3339::now_unix(),
        };
        if let Some(id) = m.reply_to {
            let original = self.message(id)?;
            let e = self.indexed(id)?.entry;
            d.in_reply_to = Some(e.message_id.clone()).filter(|s| !s.is_empty());
            d.references = e.references.clone();
            if !e.message_id.is_empty() {
                d.references.push(e.message_id.clone());
            }
            if d.subject.is_empty() {
                d.subject = compose::reply_subject(&original.summary.subject);
            }
            // The app's form holds the quote already (`prefill`).
            if !d
                .text
                .contains(&format!("{} wrote:", original.summary.from))
            {
                d.text.push_str(&compose::quote(
                    &original.text,
                    &original.summary.from,
                    &original.summary.date,
                ));
            }
        }
        if let Some(id) = m.forward {
            let original = self.message(id)?;
            if d.subject.is_empty() {
                d.subject = compose::forward_subject(&original.summary.subject);
            }
            if !d.text.contains("---------- Forwarded message ----------") {
                d.text.push_str(&format!(
                "\n\n---------- Forwarded message ----------\nFrom: {}\nDate: {}\nSubject: {}\nTo: {}\n\n{}",
                original.summary.from,
                original.summary.date,
                original.summary.subject,
                original.summary.to,
                original.text
            ));
            }
            let raw = self.original(id).await?;
            for (index, a) in original.attachments.iter().enumerate() {
                if a.inline {
                    continue;
                }
                if let Some((info, bytes)) = coffer_core::mime::attachment(&raw, index) {
                    d.attachments.push(AttachmentFile {
                        name: crate::read::list::safe_file_name(
                            info.name.as_deref(),
                            &info.content_type,
                            index,
                        ),
                        content_type: info.content_type,
                        bytes,
                    });
                }
            }
        }
        Ok(d)
    }

    /// One try: submit to the recipients still pending, record each answer,
    /// store the sealed copy once someone took the message.
    async fn try_send(&self, conn: &Connection<'_>, mut o: Outgoing) -> SendReport {
        let mut error = None;
        if o.state == OutboxState::Queued {
            o.attempts += 1;
            match self.submit(conn, &mut o).await {
                Ok(()) => o.last_error.clear(),
                Err(e) => {
                    let text = format!("{e:#}");
                    o.last_error.clone_from(&text);
                    error = Some(text);
                }
            }
            let pending = o
                .recipients
                .iter()
                .any(|r| r.state == RecipientState::Pending);
            let rejected = o
                .recipients
                .iter()
                .any(|r| r.state == RecipientState::Rejected);
            o.state = match (pending, rejected) {
                (true, _) => OutboxState::Queued,
                (false, true) => OutboxState::Failed,
                (false, false) => OutboxState::Sent,
            };
            if o.state == OutboxState::Queued {
                o.next_attempt_at = crate::rfc3339::now_unix() + backoff(o.attempts);
            }
        }
        let mut sent_folder = None;
        let mut provider_copy = false;
        let someone_took_it = o
            .recipients
            .iter()
            .any(|r| r.state == RecipientState::Accepted);
        if someone_took_it && !o.copy_stored {
            // A provider that files its own (plaintext) copy in Sent, as
            // Gmail and Outlook do: no second copy from us; the sealing
            // engine seals the provider's like any other message.
            match self.provider_filed(conn, &o.message_id).await {
                Ok(Some(folder)) => {
                    o.copy_stored = true;
                    sent_folder = Some(folder);
                    provider_copy = true;
                }
                Ok(None) => {}
                Err(e) => tracing::debug!(
                    error = format!("{e:#}"),
                    "could not look for the provider's copy"
                ),
            }
        }
        if someone_took_it && !o.copy_stored {
            match self.store_sent_copy(conn, &o).await {
                Ok(folder) => {
                    o.copy_stored = true;
                    sent_folder = Some(folder);
                }
                Err(e) => {
                    let text = format!("sent, but the sealed copy is not in Sent yet: {e:#}");
                    tracing::warn!(error = text);
                    error.get_or_insert(text);
                }
            }
        }
        if let Err(e) = self.store().outbox_update(&o) {
            tracing::warn!(%e, "could not record the outbox state");
        }
        if o.state == OutboxState::Sent && o.copy_stored {
            // Sent, and its sealed copy is in Sent: nothing left to keep.
            if let Err(e) = self.store().outbox_remove(o.id) {
                tracing::warn!(%e, "could not clear a sent message from the outbox");
            }
        }
        if error.is_none() && o.state == OutboxState::Failed {
            error = Some(rejections(&o));
        }
        let mut r = report(&o, error).with_folder(sent_folder);
        r.provider_copy = provider_copy;
        r
    }

    async fn submit(&self, conn: &Connection<'_>, o: &mut Outgoing) -> anyhow::Result<()> {
        let smtp = conn
            .smtp
            .as_ref()
            .context("the account has no SMTP server")?;
        let mut session = conn.connect_smtp(smtp).await.with_context(|| {
            format!("connecting to the SMTP server {}:{}", smtp.host, smtp.port)
        })?;
        let pending: Vec<String> = o
            .recipients
            .iter()
            .filter(|r| r.state == RecipientState::Pending)
            .map(|r| r.address.clone())
            .collect();
        let result = session.submit(&o.envelope_from, &pending, &o.data).await;
        let submission = match result {
            Ok(s) => s,
            Err(NetError::MessageTooLarge { size, limit }) => {
                for r in &mut o.recipients {
                    if r.state == RecipientState::Pending {
                        r.state = RecipientState::Rejected;
                        r.reply = format!(
                            "the message is {size} bytes; the server takes at most {limit} (SIZE)"
                        );
                    }
                }
                session.quit().await;
                return Err(refusal(
                    Code::Failed,
                    format!("the message is {size} bytes, too large for the server (SIZE {limit})"),
                ));
            }
            Err(e) => return Err(e).context("sending the message"),
        };
        session.quit().await;
        let data = submission.message.clone();
        for (address, answer) in submission.recipients {
            let Some(r) = o.recipients.iter_mut().find(|r| r.address == address) else {
                continue;
            };
            let (state, reply) = match (&answer, &data) {
                (Answer::Accepted, Some(Answer::Accepted)) => {
                    (RecipientState::Accepted, String::new())
                }
                (Answer::Accepted, Some(Answer::Permanent(reply))) => {
                    (RecipientState::Rejected, reply.clone())
                }
                (Answer::Accepted, Some(Answer::Temporary(reply))) => {
                    (RecipientState::Pending, reply.clone())
                }
                (Answer::Accepted, None) => (RecipientState::Pending, String::new()),
                (Answer::Permanent(reply), _) => (RecipientState::Rejected, reply.clone()),
                (Answer::Temporary(reply), _) => (RecipientState::Pending, reply.clone()),
            };
            r.state = state;
            r.reply = reply;
        }
        Ok(())
    }

    /// Whether the provider filed its own copy of message `message_id` in
    /// Sent; its folder if so. Learned per account on the first send (a few
    /// seconds' look); an account known not to file copies is not looked
    /// at again, one known to file them is waited for longer.
    async fn provider_filed(
        &self,
        conn: &Connection<'_>,
        message_id: &str,
    ) -> anyhow::Result<Option<String>> {
        let key = format!("account.{}.provider_files_sent", conn.name);
        let known = self.store().setting(&key).context("reading the settings")?;
        if known.as_deref() == Some("no") {
            return Ok(None);
        }
        let wait = match known.as_deref() {
            Some("yes") => std::time::Duration::from_secs(15),
            _ => std::time::Duration::from_secs(3),
        };
        let mut session = conn.connect().await?;
        let folders = session.list_folders().await.context("listing folders")?;
        let Some(sent) = folders
            .iter()
            .find(|f| f.special_use == Some(SpecialUse::Sent))
            .map(|f| f.name.clone())
        else {
            return Ok(None);
        };
        let started = std::time::Instant::now();
        let found = loop {
            session.examine(&sent).await.context("opening Sent")?;
            let hits = session
                .uid_search_header("Message-ID", message_id)
                .await
                .context("searching Sent")?;
            if !hits.is_empty() {
                break true;
            }
            if started.elapsed() >= wait {
                break false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        };
        if let Err(error) = session.logout().await {
            tracing::debug!(%error, "logout after looking in Sent failed");
        }
        let learned = if found { "yes" } else { "no" };
        if known.as_deref() != Some(learned) {
            self.store()
                .set_setting(&key, learned)
                .context("recording whether the provider files sent mail")?;
        }
        Ok(found.then_some(sent))
    }

    /// Seals the sender's copy (Bcc kept) into the special-use Sent folder
    /// and indexes it; returns the folder's name.
    async fn store_sent_copy(&self, conn: &Connection<'_>, o: &Outgoing) -> anyhow::Result<String> {
        let flags = vec!["\\Seen".to_owned()];
        let (folder, _) = self
            .store_sealed(
                conn,
                SpecialUse::Sent,
                "Sent",
                &flags,
                o.created_at,
                &o.sent_copy,
            )
            .await?;
        Ok(folder)
    }

    /// Seals `original` into the folder with special use `role`, indexes it,
    /// and returns the folder and the new index row's id (when the server
    /// gave the copy's UID).
    async fn store_sealed(
        &self,
        conn: &Connection<'_>,
        role: SpecialUse,
        role_name: &str,
        flags: &[String],
        created_at: i64,
        original: &[u8],
    ) -> anyhow::Result<(String, Option<i64>)> {
        let mut session = conn.connect().await?;
        let folders = session.list_folders().await.context("listing folders")?;
        let sent = folders
            .iter()
            .find(|f| f.special_use == Some(role))
            .map(|f| f.name.clone())
            .ok_or_else(|| {
                refusal(
                    Code::CapabilityMissing,
                    format!("the server names no {role_name} folder (special-use \\{role_name})"),
                )
            })?;
        let flags = flags.to_vec();
        let date = InternalDate::new(created_at, 0).context("the message's date")?;
        let input = SealInput {
            folder: &sent,
            flags: &flags,
            internaldate: date,
            original,
        };
        let scope = conn.scope();
        let sealed =
            coffer_core::seal::seal_in(self.keys(), &scope, &input, &mut rand::rngs::OsRng)
                .context("sealing the copy")?;
        let placed = session
            .append(&sent, &flags, created_at, &sealed)
            .await
            .with_context(|| format!("appending the sealed copy to {sent:?}"))?;
        let digest: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(original).into();
        let seal_id = coffer_core::seal::seal_id_in(self.keys(), &scope, &digest);
        let mut id = None;
        if let Some(p) = placed {
            let place = CopyPlace {
                account: conn.name.clone(),
                folder: sent.clone(),
                uid_validity: p.uid_validity,
                uid: p.uid,
            };
            let manifest_folder = coffer_core::seal::manifest_folder(&sent);
            record_many(
                self.store(),
                &[SealedOriginal {
                    place,
                    seal_id,
                    sealed_folder: &manifest_folder,
                    flags,
                    internaldate: created_at,
                    original,
                }],
            );
            id = self
                .store()
                .index_rows_of(&conn.name, &sent)
                .context("reading the index")?
                .into_iter()
                .find(|r| r.uid == p.uid && r.uid_validity == p.uid_validity)
                .map(|r| r.id);
        }
        if let Err(error) = session.logout().await {
            tracing::debug!(%error, "logout after storing a sealed copy failed");
        }
        Ok((sent, id))
    }

    /// Saves `m` as a sealed draft in the special-use Drafts folder (a
    /// draft may lack recipients), replacing the draft `replaces` (its
    /// sealed copy removed by its own UID); returns the new draft's index
    /// id. Another device finds it after `coffer rebuild`.
    pub async fn save_draft(
        &self,
        account: Option<&str>,
        m: NewMessage,
        replaces: Option<i64>,
    ) -> anyhow::Result<i64> {
        let conn = self.connection(account)?;
        let draft = self.draft(&conn, m).await?;
        let composed =
            compose::compose_draft(&draft).map_err(|e| refusal(Code::BadRequest, e.to_string()))?;
        let flags = vec!["\\Draft".to_owned(), "\\Seen".to_owned()];
        let (_, id) = self
            .store_sealed(
                &conn,
                SpecialUse::Drafts,
                "Drafts",
                &flags,
                draft.date,
                &composed.sent_copy,
            )
            .await?;
        let id = id.context("the server gave no UID for the saved draft (no UIDPLUS)")?;
        if let Some(old) = replaces.filter(|old| *old != id) {
            self.discard_draft(old).await?;
        }
        Ok(id)
    }

    /// Removes the saved draft `id` from the server and the index.
    pub async fn discard_draft(&self, id: i64) -> anyhow::Result<()> {
        self.delete_message(id, true).await.map(drop)
    }

    /// A message to compose from message `id`: a reply (to its sender, or
    /// to everyone with `all`), a forward, or a saved draft to resume.
    pub fn prefill(&self, kind: Prefill, id: i64) -> anyhow::Result<NewMessage> {
        let m = self.message(id)?;
        let s = &m.summary;
        let split = |field: &str| -> Vec<String> {
            field
                .split(", ")
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Ok(match kind {
            Prefill::Reply | Prefill::ReplyAll => {
                let to = split(&s.from);
                let mut cc = Vec::new();
                if kind == Prefill::ReplyAll {
                    let me = self
                        .connection(Some(&s.account))
                        .map(|c| c.user)
                        .unwrap_or_default();
                    for a in split(&s.to).into_iter().chain(split(&m.cc)) {
                        if !a.contains(&me) && !to.contains(&a) {
                            cc.push(a);
                        }
                    }
                }
                NewMessage {
                    to,
                    cc,
                    subject: compose::reply_subject(&s.subject),
                    text: compose::quote(&m.text, &s.from, &s.date),
                    reply_to: Some(id),
                    ..NewMessage::default()
                }
            }
            Prefill::Forward => NewMessage {
                subject: compose::forward_subject(&s.subject),
                forward: Some(id),
                ..NewMessage::default()
            },
            Prefill::Draft => NewMessage {
                to: split(&s.to),
                cc: split(&m.cc),
                bcc: split(&m.bcc),
                subject: s.subject.clone(),
                text: m.text.clone(),
                ..NewMessage::default()
            },
        })
    }
}

fn rejections(o: &Outgoing) -> String {
    let refused: Vec<String> = o
        .recipients
        .iter()
        .filter(|r| r.state == RecipientState::Rejected)
        .map(|r| format!("{} ({})", r.address, r.reply))
        .collect();
    format!("refused by the server: {}", refused.join("; "))
}

fn report(o: &Outgoing, error: Option<String>) -> SendReport {
    SendReport {
        id: o.id,
        message_id: o.message_id.clone(),
        subject: o.subject.clone(),
        state: o.state,
        recipients: o.recipients.clone(),
        error: error.or_else(|| (!o.last_error.is_empty()).then(|| o.last_error.clone())),
        sent_folder: None,
        provider_copy: false,
    }
}

impl SendReport {
    fn with_folder(mut self, folder: Option<String>) -> Self {
        self.sent_folder = folder;
        self
    }
}
