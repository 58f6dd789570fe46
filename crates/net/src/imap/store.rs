//! UID STORE +FLAGS (\Deleted): mark one original for removal, and confirm the server did.

use super::{ImapSession, append, fetch_items, timed, uid};
use crate::NetError;

impl ImapSession {
    /// Marks the message `uid` of the selected folder `\Deleted`. It stays in
    /// the folder until [`ImapSession::uid_expunge`] removes that UID alone.
    ///
    /// Returns `true` once the server has confirmed the flag, `false` when
    /// no message has that UID (any more). A server that accepts the command
    /// but does not set the flag — Dovecot answers OK "Store ignored with
    /// read-only mailbox" after EXAMINE — is an error, not a success.
    pub async fn uid_store_deleted(&mut self, uid: u32) -> Result<bool, NetError> {
        uid::check(uid)?;
        // Not .SILENT: the FETCH the server sends back is the confirmation.
        // Servers send it only when the flags changed, so a message that was
        // already \Deleted is confirmed with a second look.
        let line = format!("UID STORE {uid} +FLAGS (\\Deleted)");
        let mut confirmed = false;
        timed(self.limits, "marking a message deleted", async {
            let on_fetch = fetch_items::about_uid(uid, false, |items| {
                confirmed = has_deleted(items.flags.as_deref());
            });
            self.command("UID STORE", &line, on_fetch).await
        })
        .await?;
        if confirmed {
            return Ok(true);
        }
        let mut found = None;
        let line = format!("UID FETCH {uid} (UID FLAGS)");
        timed(self.limits, "checking a message's flags", async {
            let on_fetch = fetch_items::about_uid(uid, false, |items| {
                found = Some(has_deleted(items.flags.as_deref()));
            });
            self.command("UID FETCH", &line, on_fetch).await
        })
        .await?;
        match found {
            None => Ok(false),
            Some(true) => Ok(true),
            Some(false) => Err(NetError::Refused {
                command: "UID STORE",
                reason: "the server accepted it but did not set \\Deleted; is the folder open \
                         read-only (EXAMINE instead of SELECT)?"
                    .to_owned(),
            }),
        }
    }
}

impl ImapSession {
    /// Adds `add` to and removes `remove` from the flags of the message
    /// `uid` of the selected folder (each checked as for
    /// [`ImapSession::append`]), leaving its other flags alone. Returns the
    /// message's flags now, or `None` when no message has that UID (any
    /// more).
    pub async fn uid_change_flags(
        &mut self,
        uid: u32,
        add: &[String],
        remove: &[String],
    ) -> Result<Option<Vec<String>>, NetError> {
        uid::check(uid)?;
        // Both lists are checked before anything is sent.
        let changes = [
            ("+", append::flag_list(add)?),
            ("-", append::flag_list(remove)?),
        ];
        for (sign, list) in changes {
            if list.is_empty() {
                continue;
            }
            let line = format!("UID STORE {uid} {sign}FLAGS.SILENT ({list})");
            timed(self.limits, "changing a message's flags", async {
                self.command("UID STORE", &line, super::command::ignore)
                    .await
            })
            .await?;
        }
        // The flags as they are now, and whether the message still exists.
        let line = format!("UID FETCH {uid} (UID FLAGS)");
        let mut found = None;
        timed(self.limits, "checking a message's flags", async {
            let on_fetch = fetch_items::about_uid(uid, false, |items| {
                found = items.flags.or(found.take());
            });
            self.command("UID FETCH", &line, on_fetch).await
        })
        .await?;
        Ok(found)
    }
}

fn has_deleted(flags: Option<&[String]>) -> bool {
    flags.is_some_and(|f| f.iter().any(|f| f.eq_ignore_ascii_case("\\Deleted")))
}
