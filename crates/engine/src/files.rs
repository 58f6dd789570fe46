//! Writing vault files safely: private permissions, all-or-nothing replacement.

use std::io::Write as _;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::Path;

use anyhow::Context as _;

use crate::VaultError;

/// Whether an existing file may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replace {
    /// Fail with [`VaultError::WouldOverwrite`] if the file exists.
    Never,
    /// Replace it atomically.
    Atomically,
}

/// Creates `dir` (and missing parents) readable by the owner only. An
/// existing directory is left as it is.
pub(crate) fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating the vault directory {}", dir.display()))
}

/// Writes `bytes` to `path` with mode 0600 so that a reader sees the old
/// file or the new one, never a mix, even after a crash: the bytes go to a
/// temporary file in the same directory, are fsynced, renamed over the
/// target, and the directory is fsynced so the rename itself is durable.
pub(crate) fn write_private(path: &Path, bytes: &[u8], replace: Replace) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if replace == Replace::Never && exists(path)? {
        return Err(VaultError::WouldOverwrite(path.to_path_buf()).into());
    }
    // tempfile creates the file O_EXCL with mode 0600 and deletes it if we
    // fail before the rename.
    let mut tmp = tempfile::Builder::new()
        .prefix(".coffer-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("writing {}", tmp.path().display()))?;
    match replace {
        // Also refuses a file that appeared since the check above.
        Replace::Never => tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                anyhow::Error::new(VaultError::WouldOverwrite(path.to_path_buf()))
            } else {
                anyhow::Error::new(e.error).context(format!("writing {}", path.display()))
            }
        })?,
        Replace::Atomically => tmp
            .persist(path)
            .map_err(|e| e.error)
            .with_context(|| format!("replacing {}", path.display()))?,
    };
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing the directory {}", dir.display()))
}

/// Whether `path` exists, with a clear error when it cannot be known (an
/// unreadable directory, a parent that is a file).
pub(crate) fn exists(path: &Path) -> anyhow::Result<bool> {
    path.try_exists()
        .with_context(|| format!("cannot access {}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn writes_private_files_and_never_clobbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_private(&path, b"one", Replace::Never).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let err = write_private(&path, b"two", Replace::Never).unwrap_err();
        assert!(matches!(
            err.downcast_ref::<VaultError>(),
            Some(VaultError::WouldOverwrite(_))
        ));
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        write_private(&path, b"three", Replace::Atomically).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"three");
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn new_directories_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("a/b");
        create_private_dir(&vault).unwrap();
        let mode = std::fs::metadata(&vault).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
