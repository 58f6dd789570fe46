//! Reading the passphrase: from `--passphrase-file` in scripts, else a TTY prompt.

use std::path::Path;

use anyhow::Context as _;
use coffer_engine::{Code, refusal};
use secrecy::{ExposeSecret as _, SecretString};
use subtle::ConstantTimeEq as _;

/// Reads the passphrase from `file` (its first line, without the line break)
/// or, when no file is given, prompts on the terminal without echo.
pub fn read(file: Option<&Path>, prompt: &str) -> anyhow::Result<SecretString> {
    match file {
        Some(path) => first_line(path, "passphrase"),
        None => {
            let raw = rpassword::prompt_password(prompt).context(
                "reading the passphrase from the terminal (use --passphrase-file in scripts)",
            )?;
            if raw.is_empty() {
                return Err(refusal(Code::PassphraseRejected, "the passphrase is empty"));
            }
            Ok(SecretString::from(raw))
        }
    }
}

/// The first line of the secret file `path` (a passphrase or a password),
/// refused when empty. The rest of the file is zeroized with it.
pub fn first_line(path: &Path, what: &str) -> anyhow::Result<SecretString> {
    let text = SecretString::from(
        std::fs::read_to_string(path)
            .with_context(|| format!("reading the {what} file {}", path.display()))?,
    );
    let first = text.expose_secret().lines().next().unwrap_or_default();
    if first.is_empty() {
        let code = match what {
            "password" => Code::BadRequest,
            _ => Code::PassphraseRejected,
        };
        return Err(refusal(
            code,
            format!("the {what} in {} is empty", path.display()),
        ));
    }
    Ok(SecretString::from(first.to_owned()))
}

/// Reads a new passphrase: from `file`, or prompted twice on the terminal
/// (compared in constant time) so a typo cannot lock the user out.
pub fn read_new(file: Option<&Path>, what: &str) -> anyhow::Result<SecretString> {
    if file.is_some() {
        return read(file, "");
    }
    let first = read(None, &format!("{what}: "))?;
    let again = read(None, &format!("{what} (again): "))?;
    let same: bool = first
        .expose_secret()
        .as_bytes()
        .ct_eq(again.expose_secret().as_bytes())
        .into();
    if !same {
        return Err(refusal(
            Code::PassphraseRejected,
            "the passphrases do not match; nothing was changed",
        ));
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;

    #[test]
    fn uses_the_first_line_only() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("pass");
        std::fs::write(&path, "correct horse\r\nsecond line\n")?;
        assert_eq!(read(Some(&path), "")?.expose_secret(), "correct horse");
        Ok(())
    }

    #[test]
    fn refuses_an_empty_passphrase() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("pass");
        std::fs::write(&path, "\n")?;
        assert!(read(Some(&path), "").is_err());
        Ok(())
    }

    #[test]
    fn reports_a_missing_file() {
        let err = read(Some(Path::new("/nonexistent/pass")), "").err();
        assert!(format!("{err:?}").contains("reading the passphrase file"));
    }
}
