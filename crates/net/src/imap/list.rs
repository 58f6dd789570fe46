//! LIST: every folder, its hierarchy delimiter and its special use (RFC 6154).

use futures::TryStreamExt as _;
use imap_proto::NameAttribute;

use super::{ImapSession, error_map, timed};
use crate::{NetError, mutf7};

/// The role a folder plays, from RFC 6154 special-use attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecialUse {
    /// `\All`
    All,
    /// `\Archive`
    Archive,
    /// `\Drafts`
    Drafts,
    /// `\Flagged`
    Flagged,
    /// `\Junk`
    Junk,
    /// `\Sent`
    Sent,
    /// `\Trash`
    Trash,
}

/// One folder on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// The folder's name, decoded to Unicode.
    pub name: String,
    /// The name exactly as the server sends it (modified UTF-7).
    pub wire_name: String,
    /// The hierarchy delimiter, if the server has one.
    pub delimiter: Option<String>,
    /// The special use, if the server marks one.
    pub special_use: Option<SpecialUse>,
    /// Whether the folder can be selected (false for `\Noselect` parents).
    pub selectable: bool,
}

impl ImapSession {
    /// Lists every folder of the account.
    pub async fn list_folders(&mut self) -> Result<Vec<Folder>, NetError> {
        let limits = self.limits;
        let names = timed(limits, "listing folders", async {
            let stream = self
                .session
                .list(Some(""), Some("*"))
                .await
                .map_err(|e| error_map::imap_error("LIST", limits, e))?;
            stream
                .try_collect::<Vec<_>>()
                .await
                .map_err(|e| error_map::imap_error("LIST", limits, e))
        })
        .await?;
        let mut folders = Vec::with_capacity(names.len());
        for n in &names {
            let wire_name = n.name().to_owned();
            let name = mutf7::decode(&wire_name).map_err(|e| NetError::Protocol(e.to_string()))?;
            let mut special_use = None;
            let mut selectable = true;
            for attr in n.attributes() {
                match attr {
                    NameAttribute::NoSelect => selectable = false,
                    NameAttribute::All => special_use = Some(SpecialUse::All),
                    NameAttribute::Archive => special_use = Some(SpecialUse::Archive),
                    NameAttribute::Drafts => special_use = Some(SpecialUse::Drafts),
                    NameAttribute::Flagged => special_use = Some(SpecialUse::Flagged),
                    NameAttribute::Junk => special_use = Some(SpecialUse::Junk),
                    NameAttribute::Sent => special_use = Some(SpecialUse::Sent),
                    NameAttribute::Trash => special_use = Some(SpecialUse::Trash),
                    NameAttribute::Extension(e) if e.eq_ignore_ascii_case("\\NonExistent") => {
                        selectable = false;
                    }
                    _ => {}
                }
            }
            folders.push(Folder {
                name,
                wire_name,
                delimiter: n.delimiter().map(str::to_owned),
                special_use,
                selectable,
            });
        }
        folders.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(folders)
    }
}
