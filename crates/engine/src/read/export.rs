//! `coffer export`: the originals out of the vault, byte for byte, as a
//! Maildir tree per account or one mboxrd file. No lock-in (DESIGN.md).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use coffer_store::{Indexed, Trust};

use crate::{Code, Vault, VaultError, refusal};

/// What to export and where.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Only this account (all when `None`).
    pub account: Option<String>,
    /// Only these folders (all when empty).
    pub folders: Vec<String>,
    /// The format and destination.
    pub target: ExportTarget,
}

/// Where the export goes.
#[derive(Debug, Clone)]
pub enum ExportTarget {
    /// `DIR/ACCOUNT/FOLDER/{cur,new,tmp}`: one file per message, flags in
    /// the info suffix, the INTERNALDATE as its mtime. `DIR` must not exist
    /// or be empty.
    Maildir(PathBuf),
    /// One mboxrd file (`From ` lines quoted reversibly), the INTERNALDATE
    /// on each `From ` line. The file must not exist.
    Mbox(PathBuf),
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExportSummary {
    /// Messages written.
    pub messages: u64,
    /// Bytes of originals written.
    pub bytes: u64,
    /// Seals listed in the index that are not this vault's (not exported).
    pub skipped_unverified: u64,
}

impl Vault {
    /// Writes every genuine indexed original chosen by `options`; `progress`
    /// gets (done, total) after each.
    pub async fn export(
        &self,
        options: &ExportOptions,
        mut progress: impl FnMut(u64, u64),
    ) -> anyhow::Result<ExportSummary> {
        let rows = self
            .store()
            .index_list(options.account.as_deref(), &options.folders)
            .context("reading the index")?;
        let (genuine, other): (Vec<Indexed>, Vec<Indexed>) = rows
            .into_iter()
            .partition(|m| m.entry.trust == Some(Trust::Genuine));
        let mut summary = ExportSummary {
            skipped_unverified: other.len() as u64,
            ..ExportSummary::default()
        };
        let total = genuine.len() as u64;
        let mut out = Output::open(&options.target)?;
        for m in &genuine {
            let raw = self.original(m.id).await?;
            let place = m
                .entry
                .place
                .as_ref()
                .context("an index row without a place")?;
            out.write(
                &Item {
                    account: &place.account,
                    folder: &place.folder,
                    seal_id: &m.entry.seal_id,
                    flags: &m.entry.flags,
                    internaldate: m.entry.internaldate,
                },
                &raw,
            )?;
            summary.messages += 1;
            summary.bytes += raw.len() as u64;
            progress(summary.messages, total);
        }
        out.finish()?;
        Ok(summary)
    }
}

/// Where one original goes and what its file says about it.
pub(crate) struct Item<'a> {
    pub(crate) account: &'a str,
    pub(crate) folder: &'a str,
    /// Names the file (every device of a vault writes the same tree).
    pub(crate) seal_id: &'a str,
    pub(crate) flags: &'a [String],
    pub(crate) internaldate: i64,
}

/// An export being written.
pub(crate) enum Output {
    Maildir(PathBuf),
    Mbox(std::io::BufWriter<std::fs::File>, PathBuf),
}

impl Output {
    pub(crate) fn open(target: &ExportTarget) -> anyhow::Result<Self> {
        match target {
            ExportTarget::Maildir(dir) => {
                if dir.exists()
                    && std::fs::read_dir(dir)
                        .with_context(|| format!("reading {}", dir.display()))?
                        .next()
                        .is_some()
                {
                    return Err(VaultError::WouldOverwrite(dir.clone()).into());
                }
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                Ok(Output::Maildir(dir.clone()))
            }
            ExportTarget::Mbox(path) => {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(path)
                    .map_err(|e| match e.kind() {
                        std::io::ErrorKind::AlreadyExists => {
                            anyhow::Error::new(VaultError::WouldOverwrite(path.clone()))
                        }
                        _ => anyhow::Error::new(e).context(format!("creating {}", path.display())),
                    })?;
                Ok(Output::Mbox(std::io::BufWriter::new(file), path.clone()))
            }
        }
    }

    pub(crate) fn write(&mut self, m: &Item<'_>, raw: &[u8]) -> anyhow::Result<()> {
        match self {
            Output::Maildir(root) => {
                let dir = root
                    .join(safe_component(m.account)?)
                    .join(folder_path(m.folder)?);
                for sub in ["cur", "new", "tmp"] {
                    std::fs::create_dir_all(dir.join(sub))
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                // Named by the seal id, not the device-local id: every device
                // of one vault writes the same tree.
                let name = format!(
                    "{}.{}.coffer:2,{}",
                    m.internaldate,
                    m.seal_id.get(..32).unwrap_or(m.seal_id),
                    maildir_flags(m.flags)
                );
                let path = dir.join("cur").join(name);
                let file = std::fs::File::create_new(&path)
                    .with_context(|| format!("creating {}", path.display()))?;
                write_all_then_date(file, raw, m.internaldate)
                    .with_context(|| format!("writing {}", path.display()))
            }
            Output::Mbox(out, path) => {
                let from = coffer_core::seal::InternalDate::new(m.internaldate, 0)
                    .map(|d| asctime(m.internaldate, &d))
                    .unwrap_or_else(|_| "Thu Jan  1 00:00:00 1970".to_owned());
                writeln!(out, "From coffer@localhost {from}")
                    .and_then(|()| out.write_all(&mboxrd_quote(raw)))
                    .and_then(|()| out.write_all(b"\n"))
                    .with_context(|| format!("writing {}", path.display()))
            }
        }
    }

    pub(crate) fn finish(self) -> anyhow::Result<()> {
        if let Output::Mbox(mut out, path) = self {
            out.flush()
                .and_then(|()| out.get_ref().sync_all())
                .with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(())
    }
}

fn write_all_then_date(mut file: std::fs::File, raw: &[u8], unix: i64) -> std::io::Result<()> {
    file.write_all(raw)?;
    let when = match u64::try_from(unix) {
        Ok(secs) => std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
        Err(_) => std::time::UNIX_EPOCH,
    };
    file.set_modified(when)?;
    file.sync_all()
}

/// Maildir info flags, in ASCII order: D F P R S T.
fn maildir_flags(flags: &[String]) -> String {
    let has = |f: &str| flags.iter().any(|x| x.eq_ignore_ascii_case(f));
    [
        ('D', "\\Draft"),
        ('F', "\\Flagged"),
        ('R', "\\Answered"),
        ('S', "\\Seen"),
        ('T', "\\Deleted"),
    ]
    .iter()
    .filter(|(_, f)| has(f))
    .map(|(c, _)| *c)
    .collect()
}

/// A folder name (from the server: hostile) as a relative path: one
/// component per level, each checked by [`safe_component`].
fn folder_path(folder: &str) -> anyhow::Result<PathBuf> {
    let mut path = PathBuf::new();
    for part in folder.split('/') {
        path.push(safe_component(part)?);
    }
    Ok(path)
}

/// A name that is one harmless path component: not empty, not `.` or `..`,
/// no separator, no control character.
fn safe_component(name: &str) -> anyhow::Result<&Path> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if bad {
        return Err(refusal(
            Code::BadRequest,
            format!(
                "the name {:?} cannot be a directory of the export",
                name.escape_debug().to_string()
            ),
        ));
    }
    Ok(Path::new(name))
}

/// mboxrd: a line that starts with `From `, after any number of `>`, gets
/// one more `>`; reading removes one. Line endings are kept as they are.
fn mboxrd_quote(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 16);
    for line in raw.split_inclusive(|&b| b == b'\n') {
        let unquoted = line.iter().position(|&b| b != b'>').unwrap_or(line.len());
        if line
            .get(unquoted..)
            .is_some_and(|rest| rest.starts_with(b"From "))
        {
            out.push(b'>');
        }
        out.extend_from_slice(line);
    }
    if !raw.ends_with(b"\n") && !raw.is_empty() {
        out.push(b'\n');
    }
    out
}

/// The `From ` line's date: `Thu Feb  1 10:00:00 2024` (UTC).
fn asctime(unix: i64, date: &coffer_core::seal::InternalDate) -> String {
    // "Thu, 01 Feb 2024 10:00:00 +0000" → "Thu Feb  1 10:00:00 2024"
    let s = date.to_string();
    let parts: Vec<&str> = s.split([',', ' ']).filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [wd, day, mon, year, time, _] => {
            let day: u32 = day.parse().unwrap_or(1);
            format!("{wd} {mon} {day:>2} {time} {year}")
        }
        _ => unix.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mboxrd_quotes_from_lines_reversibly() {
        let raw = b"Subject: x\r\n\r\nFrom here\r\n>From there\r\nFromage\r\n";
        assert_eq!(
            mboxrd_quote(raw),
            b"Subject: x\r\n\r\n>From here\r\n>>From there\r\nFromage\r\n".to_vec()
        );
        assert_eq!(mboxrd_quote(b"no newline"), b"no newline\n".to_vec());
    }

    #[test]
    fn flags_become_the_maildir_info() {
        let f =
            |xs: &[&str]| maildir_flags(&xs.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert_eq!(f(&["\\Seen", "\\Flagged", "$Work"]), "FS");
        assert_eq!(f(&["\\answered", "\\Draft"]), "DR");
        assert_eq!(f(&[]), "");
    }

    #[test]
    fn hostile_folder_names_cannot_leave_the_export() {
        assert!(folder_path("Work/Q1").is_ok());
        assert!(folder_path("Üñí/子").is_ok());
        for bad in ["..", "a/../b", "/abs", "a//b", "esc\u{1b}[2J", "nul\0"] {
            assert!(folder_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn asctime_reads_like_mbox() {
        let d = coffer_core::seal::InternalDate::new(1_706_781_600, 0).unwrap();
        assert_eq!(asctime(1_706_781_600, &d), "Thu Feb  1 10:00:00 2024");
    }
}
