//! `coffer service install|status|uninstall`: `coffer watch` as a systemd user service.
//!
//! The unit runs `coffer watch --service` with the vault and a passphrase
//! file the deployment wrote (mode 0600, never written here). It restarts
//! after a crash or a lost network, but not after exit status 1 (a wrong
//! passphrase, the vault or the account gone, a sign-in to renew): those
//! need a person, and a restart loop would only fill the journal.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use coffer_engine::{Code, refusal};

/// `coffer service …`
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Write a systemd user unit that runs `coffer watch` for the account,
    /// unlocking with --passphrase-file (which must exist, mode 0600), and
    /// enable it where a user systemd runs.
    Install {
        /// The account (optional when the vault has exactly one).
        #[arg(long)]
        account: Option<String>,
        /// Unlock from the desktop's Secret Service keyring instead of
        /// --passphrase-file (the deployment stores the passphrase there).
        #[arg(long)]
        keyring: bool,
    },
    /// Whether the unit is installed and running.
    Status {
        /// The account.
        #[arg(long)]
        account: Option<String>,
    },
    /// Stop and disable the unit, and remove its file.
    Uninstall {
        /// The account.
        #[arg(long)]
        account: Option<String>,
    },
}

/// Refuses a passphrase file that anyone but its owner can read or write,
/// or that belongs to someone else.
pub fn check_private(file: &Path) -> anyhow::Result<()> {
    let meta = std::fs::metadata(file)
        .with_context(|| format!("reading the passphrase file {}", file.display()))?;
    let mode = meta.mode() & 0o777;
    // The running user's id: the owner of this process's /proc entry.
    let me = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(meta.uid());
    if mode & 0o077 != 0 || meta.uid() != me {
        return Err(refusal(
            Code::BadRequest,
            format!(
                "the passphrase file {} has mode {mode:o} (or another owner): only its owner may \
                 read it; run `chmod 600 {}` (docs/SERVICE.md)",
                file.display(),
                file.display()
            ),
        ));
    }
    Ok(())
}

/// The unit's name for `account` (`coffer-watch.service` without one).
fn unit_name(account: Option<&str>) -> String {
    match account {
        None => "coffer-watch.service".to_owned(),
        Some(a) => {
            let safe: String = a
                .chars()
                .map(|c| match c {
                    'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' => c,
                    _ => '_',
                })
                .collect();
            format!("coffer-watch-{safe}.service")
        }
    }
}

/// Where user units live: `$XDG_CONFIG_HOME/systemd/user`.
fn unit_dir() -> anyhow::Result<PathBuf> {
    let config = match std::env::var_os("XDG_CONFIG_HOME") {
        Some(c) if !c.is_empty() => PathBuf::from(c),
        _ => PathBuf::from(std::env::var_os("HOME").context("no HOME")?).join(".config"),
    };
    Ok(config.join("systemd").join("user"))
}

/// An argument for systemd's command line: quoted, with `\`, `"`, `%` and
/// `$` escaped (systemd.service(5), "Command lines").
fn quote(arg: &str) -> String {
    let mut out = String::from("\"");
    for c in arg.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '%' => out.push_str("%%"),
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Where the unit's `coffer watch` finds the passphrase.
pub enum Unlock<'a> {
    /// A file only the user can read.
    File(&'a Path),
    /// The desktop's Secret Service keyring.
    Keyring,
}

/// The unit file.
pub fn unit(exe: &Path, vault: &Path, unlock: &Unlock<'_>, account: Option<&str>) -> String {
    let mut command = vec![
        exe.display().to_string(),
        "--vault".into(),
        vault.display().to_string(),
    ];
    if let Unlock::File(pass) = unlock {
        command.extend(["--passphrase-file".into(), pass.display().to_string()]);
    }
    command.extend(["watch".into(), "--service".into()]);
    if let Unlock::Keyring = unlock {
        command.push("--keyring".into());
    }
    if let Some(a) = account {
        command.extend(["--account".into(), a.to_owned()]);
    }
    let exec: Vec<String> = command.iter().map(|a| quote(a)).collect();
    // A specifier or a line break in a name must not reach systemd as such.
    let what = account.map_or_else(
        || "the vault's account".to_owned(),
        |a| {
            format!(
                "account {}",
                a.replace('%', "%%").replace(['\n', '\r'], " ")
            )
        },
    );
    format!(
        "# Written by `coffer service install`; `coffer service uninstall` removes it.\n\
         [Unit]\n\
         Description=Coffer: keep {what} sealed\n\
         Documentation=file:///usr/share/doc/coffer/SERVICE.md\n\
         After=network-online.target\n\
         Wants=network-online.target\n\
         \n\
         [Service]\n\
         Type=exec\n\
         ExecStart={}\n\
         # After a crash or a lost network: again in 30 s. Exit status 1 (a wrong\n\
         # passphrase, the vault or the account gone, a sign-in to renew) needs a\n\
         # person: no restart.\n\
         Restart=on-failure\n\
         RestartSec=30s\n\
         RestartPreventExitStatus=1\n\
         SyslogIdentifier=coffer\n\
         NoNewPrivileges=yes\n\
         PrivateTmp=yes\n\
         \n\
         [Install]\n\
         WantedBy=default.target\n",
        exec.join(" ")
    )
}

/// Runs `systemctl --user ARGS`; `Err` with what it said when it cannot.
fn systemctl(args: &[&str]) -> Result<String, String> {
    match std::process::Command::new("systemctl")
        .arg("--user")
        .args(args)
        .output()
    {
        Ok(out) if out.status.success() => {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        }
        Ok(out) => Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// Runs a service subcommand.
pub fn run(dir: &Path, pass_file: Option<&Path>, command: ServiceCommand) -> anyhow::Result<()> {
    match command {
        ServiceCommand::Install { account, keyring } => {
            let vault_dir = std::path::absolute(dir).context("resolving the vault directory")?;
            let printable = |p: &Path| p.to_str().is_some_and(|s| !s.chars().any(char::is_control));
            if !printable(&vault_dir) || pass_file.is_some_and(|p| !printable(p)) {
                return Err(refusal(
                    Code::BadRequest,
                    "the vault or passphrase file path has control characters or is not UTF-8: \
                     a systemd unit cannot name it safely",
                ));
            }
            // What the unit unlocks with must unlock the vault now, and the
            // account must exist.
            let (vault, pass) = match keyring {
                true => (super::unlock_from_keyring(&vault_dir)?, None),
                false => {
                    let pass = pass_file.ok_or_else(|| {
                        refusal(
                            Code::BadRequest,
                            "name the passphrase file the service unlocks with: `coffer \
                             --passphrase-file FILE service install` (written by whoever \
                             deploys, mode 0600), or use --keyring (docs/SERVICE.md)",
                        )
                    })?;
                    check_private(pass)?;
                    let pass =
                        std::path::absolute(pass).context("resolving the passphrase file")?;
                    (super::unlock(&vault_dir, Some(&pass))?, Some(pass))
                }
            };
            let unlock = match &pass {
                Some(p) => Unlock::File(p),
                None => Unlock::Keyring,
            };
            let accounts = vault.accounts()?;
            match &account {
                Some(a) if !accounts.iter().any(|x| &x.name == a) => {
                    return Err(coffer_engine::VaultError::NoSuchAccount(a.clone()).into());
                }
                None if accounts.len() != 1 => {
                    return Err(coffer_engine::VaultError::AccountNeeded(accounts.len()).into());
                }
                _ => {}
            }
            drop(vault);
            let exe = std::env::current_exe().context("finding the coffer program")?;
            let name = unit_name(account.as_deref());
            let units = unit_dir()?;
            std::fs::create_dir_all(&units)
                .with_context(|| format!("creating {}", units.display()))?;
            let path = units.join(&name);
            std::fs::write(&path, unit(&exe, &vault_dir, &unlock, account.as_deref()))
                .with_context(|| format!("writing {}", path.display()))?;
            say!("wrote {}", path.display());
            match systemctl(&["daemon-reload"]).and_then(|_| systemctl(&["enable", "--now", &name]))
            {
                Ok(_) => {
                    say!("enabled and started {name}; `journalctl --user -u {name}` shows its log")
                }
                Err(why) => say!(
                    "systemd's user manager is not reachable here ({why}): in the user's \
                     session, run `systemctl --user enable --now {name}`"
                ),
            }
        }
        ServiceCommand::Status { account } => {
            let name = unit_name(account.as_deref());
            let path = unit_dir()?.join(&name);
            if !path.exists() {
                say!("{name} is not installed (`coffer service install`)");
                return Ok(());
            }
            say!("{name} is installed: {}", path.display());
            match systemctl(&["is-active", &name]) {
                Ok(state) => say!("state: {state}"),
                Err(why) if why.contains("inactive") || why.contains("failed") => {
                    say!("state: {why}");
                }
                Err(why) => say!("state: unknown (systemd's user manager is not reachable: {why})"),
            }
        }
        ServiceCommand::Uninstall { account } => {
            let name = unit_name(account.as_deref());
            let path = unit_dir()?.join(&name);
            if let Err(why) = systemctl(&["disable", "--now", &name]) {
                tracing::debug!(why, "systemctl disable failed");
            }
            match std::fs::remove_file(&path) {
                Ok(()) => say!("removed {}", path.display()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    say!("{name} was not installed");
                }
                Err(e) => return Err(e).with_context(|| format!("removing {}", path.display())),
            }
            let _ = systemctl(&["daemon-reload"]);
        }
    }
    Ok(())
}
