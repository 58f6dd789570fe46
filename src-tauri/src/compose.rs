//! Commands of the compose screen and the outbox: send, save a draft, fill
//! the form for a reply, a forward or a saved draft, and look after what
//! is still queued.

use base64::Engine as _;
use coffer_engine::Code;
use coffer_engine::core::compose::AttachmentFile;
use coffer_engine::send::{NewMessage, OutboxState, Prefill, SendReport};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::engine::Engine;
use crate::error::CommandError;

/// A file from the form: its bytes as base64.
#[derive(Debug, Serialize, Deserialize)]
pub struct ComposeAttachment {
    name: String,
    #[serde(rename = "type")]
    content_type: String,
    data: String,
}

/// The compose form.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComposeRequest {
    account: Option<String>,
    to: Vec<String>,
    cc: Vec<String>,
    bcc: Vec<String>,
    subject: String,
    text: String,
    html: Option<String>,
    attachments: Vec<ComposeAttachment>,
    reply_to: Option<i64>,
    forward: Option<i64>,
    draft_id: Option<i64>,
}

impl ComposeRequest {
    fn into_message(self) -> Result<(Option<String>, NewMessage, Option<i64>), CommandError> {
        let mut attachments = Vec::with_capacity(self.attachments.len());
        for a in self.attachments {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(a.data.as_bytes())
                .map_err(|e| {
                    CommandError::new(Code::BadRequest, format!("attachment {:?}: {e}", a.name))
                })?;
            attachments.push(AttachmentFile {
                name: a.name,
                content_type: if a.content_type.is_empty() {
                    "application/octet-stream".into()
                } else {
                    a.content_type
                },
                bytes,
            });
        }
        let message = NewMessage {
            to: self.to,
            cc: self.cc,
            bcc: self.bcc,
            subject: self.subject,
            text: self.text,
            html: self.html.filter(|h| !h.trim().is_empty()),
            attachments,
            reply_to: self.reply_to,
            forward: self.forward,
        };
        Ok((self.account, message, self.draft_id))
    }
}

#[tauri::command]
pub async fn send_message(
    engine: State<'_, Engine>,
    request: ComposeRequest,
) -> Result<SendReport, CommandError> {
    let (account, message, draft) = request.into_message()?;
    engine
        .vault(move |vault| async move {
            let report = vault.send(account.as_deref(), message).await?;
            // Sent or queued, the outbox holds it now: the draft can go.
            if report.state != OutboxState::Failed
                && let Some(id) = draft
                && let Err(error) = vault.discard_draft(id).await
            {
                tracing::warn!(error = format!("{error:#}"), "could not remove the draft");
            }
            Ok(report)
        })
        .await
}

#[tauri::command]
pub async fn save_draft(
    engine: State<'_, Engine>,
    request: ComposeRequest,
) -> Result<i64, CommandError> {
    let (account, message, draft) = request.into_message()?;
    engine
        .vault(move |vault| async move {
            Ok(vault.save_draft(account.as_deref(), message, draft).await?)
        })
        .await
}

#[tauri::command]
pub async fn compose_from(
    engine: State<'_, Engine>,
    kind: String,
    id: i64,
) -> Result<ComposeRequest, CommandError> {
    let kind = match kind.as_str() {
        "reply" => Prefill::Reply,
        "reply_all" => Prefill::ReplyAll,
        "forward" => Prefill::Forward,
        "draft" => Prefill::Draft,
        other => {
            return Err(CommandError::new(
                Code::BadRequest,
                format!("unknown kind {other:?}"),
            ));
        }
    };
    engine
        .vault(move |vault| async move {
            let m = vault.prefill(kind, id)?;
            let account = vault.indexed(id)?.entry.place.map(|p| p.account);
            Ok(ComposeRequest {
                account,
                to: m.to,
                cc: m.cc,
                bcc: m.bcc,
                subject: m.subject,
                text: m.text,
                reply_to: m.reply_to,
                forward: m.forward,
                draft_id: (kind == Prefill::Draft).then_some(id),
                ..ComposeRequest::default()
            })
        })
        .await
}

#[tauri::command]
pub async fn outbox(engine: State<'_, Engine>) -> Result<Vec<SendReport>, CommandError> {
    engine
        .vault(|vault| async move { Ok(vault.outbox()?) })
        .await
}

#[tauri::command]
pub async fn outbox_retry(engine: State<'_, Engine>) -> Result<Vec<SendReport>, CommandError> {
    engine
        .vault(|vault| async move { Ok(vault.flush_outbox(true).await?) })
        .await
}

#[tauri::command]
pub async fn outbox_discard(engine: State<'_, Engine>, id: i64) -> Result<(), CommandError> {
    engine
        .vault(move |vault| async move { Ok(vault.discard(id)?) })
        .await
}
