//! What a firm does with its escrow key, with no vault: open sealed messages, or export a whole mailbox.
//!
//! The organisation's age identity decrypts every seal made while its
//! recipient was the vault's escrow recipient. It cannot check a seal's MAC
//! (that key is the employee's), so what it opens is the provider's word
//! for it: a forgery encrypted to the same recipient would open too. Each
//! result says so. The stock `age` tool decrypts the same payloads
//! (`docs/PROFILE.md`).

use anyhow::Context as _;
use coffer_core::{Identity, Opened, SecretString};
use coffer_net::{ImapConfig, ImapSession, Login};
use serde::Serialize;

use crate::read::export::{ExportTarget, Item, Output};
use crate::{Code, refusal};

/// Reads an age identity file (`AGE-SECRET-KEY-1…`, `#` comments allowed):
/// the first identity in it.
pub fn read_identity(text: &SecretString) -> anyhow::Result<Identity> {
    use coffer_core::ExposeSecret as _;
    text.expose_secret()
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .and_then(|l| l.parse::<Identity>().ok())
        .ok_or_else(|| {
            refusal(
                Code::BadRequest,
                "the identity file holds no age identity (AGE-SECRET-KEY-1…)",
            )
        })
}

/// Opens one sealed message with the organisation's identity.
pub fn open(identity: &Identity, sealed: &[u8]) -> anyhow::Result<Opened> {
    coffer_core::open_with_identity(identity, sealed).map_err(|e| {
        let code = match e {
            coffer_core::SealError::NotForThisVault => Code::BadRequest,
            _ => Code::NotClean,
        };
        let text = match e {
            coffer_core::SealError::NotForThisVault => {
                "this message was not sealed to the organisation's key (sealed before escrow \
                 was on, or for another organisation)"
                    .to_owned()
            }
            other => other.to_string(),
        };
        refusal(code, text)
    })
}

/// A mailbox to export with the organisation's key.
pub struct MailboxExport {
    /// The IMAP server.
    pub imap: ImapConfig,
    /// The login name.
    pub user: String,
    /// The password, or with `oauth` an access token.
    pub password: SecretString,
    /// `password` is an OAuth2 access token.
    pub oauth: bool,
    /// Only these folders (all when empty).
    pub folders: Vec<String>,
    /// Where the originals go (a Maildir tree or an mbox file).
    pub target: ExportTarget,
}

/// What an export with the organisation's key did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EscrowExportSummary {
    /// Originals written.
    pub opened: u64,
    /// Bytes of originals written.
    pub bytes: u64,
    /// Messages that are not seals (plaintext): not exported.
    pub not_seals: u64,
    /// Seals the key does not open (made before escrow was on, or damaged),
    /// as `folder UID: why`.
    pub not_opened: Vec<String>,
}

/// Downloads every seal of the mailbox, opens it with `identity` and writes
/// the original, under the folder it was sealed in (its manifest's), with
/// its flags and INTERNALDATE. Read-only on the server.
pub async fn export_mailbox(
    identity: &Identity,
    opts: &MailboxExport,
    mut progress: impl FnMut(&EscrowExportSummary),
) -> anyhow::Result<EscrowExportSummary> {
    let login = match opts.oauth {
        true => Login::Bearer(&opts.password),
        false => Login::Password(&opts.password),
    };
    let mut session = ImapSession::connect_with(&opts.imap, &opts.user, login)
        .await
        .with_context(|| format!("connecting to {}:{}", opts.imap.host, opts.imap.port))?;
    let folders = crate::folders::choose(&mut session, &opts.folders).await?;
    let mut out = Output::open(&opts.target)?;
    let mut summary = EscrowExportSummary::default();
    for folder in &folders {
        session
            .examine(folder)
            .await
            .with_context(|| format!("opening folder {folder:?}"))?;
        let uids: Vec<u32> = session
            .uid_list()
            .await
            .with_context(|| format!("listing {folder:?}"))?
            .into_iter()
            .map(|m| m.uid)
            .collect();
        for chunk in uids.chunks(10) {
            let fetched = session
                .uid_fetch_many(chunk)
                .await
                .with_context(|| format!("downloading messages in {folder:?}"))?;
            for m in fetched {
                if coffer_core::inspect(&m.body).is_err() {
                    summary.not_seals += 1;
                    continue;
                }
                match coffer_core::open_with_identity(identity, &m.body) {
                    Ok(o) => {
                        let seal_id = o.manifest.seal_id.to_string();
                        // The provider chose these bytes: one that cannot be
                        // written (a hostile folder name, a copy seen twice)
                        // is reported, and the export goes on.
                        let written = out.write(
                            &Item {
                                account: &opts.user,
                                folder: &o.manifest.folder,
                                seal_id: &seal_id,
                                flags: &o.manifest.flags,
                                internaldate: o.manifest.internaldate.unix_seconds(),
                            },
                            &o.original,
                        );
                        match written {
                            Ok(()) => {
                                summary.opened += 1;
                                summary.bytes += o.original.len() as u64;
                            }
                            Err(e) => summary
                                .not_opened
                                .push(format!("{folder} UID {}: not written: {e:#}", m.uid)),
                        }
                    }
                    Err(e) => summary
                        .not_opened
                        .push(format!("{folder} UID {}: {e}", m.uid)),
                }
                progress(&summary);
            }
        }
    }
    out.finish()?;
    if let Err(error) = session.logout().await {
        tracing::debug!(%error, "logout after the escrow export failed");
    }
    Ok(summary)
}
