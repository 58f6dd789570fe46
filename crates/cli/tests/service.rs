//! `coffer service` and `coffer watch --service` against a real Dovecot: a
//! passphrase file others can read is refused; `install` writes a systemd
//! user unit that `systemd-analyze verify` accepts; its command line, run
//! as the unit would run it, seals a delivered message and logs one
//! journald line per event with its level; while it runs, another coffer
//! is told the service holds the account; with the vault gone it ends with
//! a clear message and exit 1 (which the unit does not restart); `status`
//! and `uninstall` find and remove the unit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use coffer_harness::{MailServer, TestVault, USER};
use support::{code, text};

mod support;

struct Place {
    t: TestVault,
    config: PathBuf,
    pass: PathBuf,
}

impl Place {
    fn new() -> Self {
        let t = TestVault::builder()
            .started(MailServer::start().unwrap())
            .account("mail")
            .build();
        let config = t.root().join("config");
        let pass = t.root().join("service-pass");
        std::fs::copy(t.pass_file(), &pass).unwrap();
        Self { t, config, pass }
    }

    fn coffer(&self, args: &[&str]) -> Output {
        support::coffer()
            .env("XDG_CONFIG_HOME", &self.config)
            .arg("--vault")
            .arg(self.t.dir())
            .arg("--passphrase-file")
            .arg(&self.pass)
            .args(args)
            .output()
            .unwrap()
    }

    fn unit_path(&self) -> PathBuf {
        self.config.join("systemd/user/coffer-watch-mail.service")
    }
}

/// The `ExecStart=` command line of `unit`, unquoted as systemd does.
fn exec_start(unit: &str) -> Vec<String> {
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap();
    let mut args = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            let mut arg = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => arg.push(chars.next().unwrap()),
                    '"' => break,
                    '%' if chars.peek() == Some(&'%') => {
                        chars.next();
                        arg.push('%');
                    }
                    '$' if chars.peek() == Some(&'$') => {
                        chars.next();
                        arg.push('$');
                    }
                    c => arg.push(c),
                }
            }
            args.push(arg);
        }
    }
    args
}

#[test]
fn the_service_unit_seals_delivered_mail_and_says_who_holds_the_account() {
    let p = Place::new();
    std::fs::set_permissions(&p.pass, std::fs::Permissions::from_mode(0o644)).unwrap();
    let open = p.coffer(&["service", "install", "--account", "mail"]);
    assert_eq!(code(&open), 1, "{}", text(&open));
    assert!(text(&open).contains("chmod 600"), "{}", text(&open));
    assert!(!p.unit_path().exists());

    std::fs::set_permissions(&p.pass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let install = p.coffer(&["service", "install", "--account", "mail"]);
    assert_eq!(code(&install), 0, "{}", text(&install));
    let unit = std::fs::read_to_string(p.unit_path()).unwrap();
    assert!(unit.contains("RestartPreventExitStatus=1"), "{unit}");
    assert!(
        !unit.contains(coffer_harness::PASSPHRASE),
        "the passphrase is never in the unit"
    );

    // The unit file as systemd reads it, where systemd-analyze is installed.
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok()
    {
        let runtime = p.t.root().join("runtime");
        std::fs::create_dir_all(&runtime).unwrap();
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        let verify = Command::new("systemd-analyze")
            .args(["verify", "--user"])
            .arg(p.unit_path())
            .env("XDG_CONFIG_HOME", &p.config)
            .env("XDG_RUNTIME_DIR", &runtime)
            .output()
            .unwrap();
        assert!(verify.status.success(), "{}", text(&verify));
        let said = text(&verify);
        assert!(!said.contains("coffer-watch-mail.service:"), "{said}");
    }

    // The unit's own command line, run as systemd would.
    let args = exec_start(&unit);
    assert_eq!(Path::new(&args[0]), Path::new(env!("CARGO_BIN_EXE_coffer")));
    let service = Command::new(&args[0])
        .args(&args[1..])
        .env("COFFER_TEST_KDF", "weak")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let eml = b"From: a@example.org\r\nSubject: to the service\r\n\r\nseal me\r\n";
    p.t.server.deliver(USER, "INBOX", eml).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let inbox =
            p.t.server
                .mailbox_contents(USER, "INBOX")
                .unwrap_or_default();
        if inbox.len() == 1 && coffer_core::inspect(&inbox[0].bytes).is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "not sealed by the service");
        std::thread::sleep(Duration::from_millis(200));
    }
    // Another coffer is told who holds the account, and leaves it alone.
    let seal = p.coffer(&["seal", "--account", "mail"]);
    assert_eq!(code(&seal), 1, "{}", text(&seal));
    assert!(
        text(&seal).contains("the Coffer service (systemd)"),
        "{}",
        text(&seal)
    );
    assert!(text(&seal).contains("[account_busy]"), "{}", text(&seal));

    Command::new("kill")
        .args(["-TERM", &service.id().to_string()])
        .status()
        .unwrap();
    let out = service.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(log.contains("<6>watching account \"mail\""), "{log}");
    assert!(log.contains("<6>sealed INBOX uid"), "{log}");
    for line in log.lines() {
        assert!(
            line.starts_with("<6>") || line.starts_with("<4>") || line.starts_with("<3>"),
            "a line without its level: {line:?}"
        );
    }

    // With the vault gone, it ends with a clear message and exit 1.
    let gone = p.t.root().join("moved-vault");
    std::fs::rename(p.t.dir(), &gone).unwrap();
    let out = Command::new(&args[0])
        .args(&args[1..])
        .env("COFFER_TEST_KDF", "weak")
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.starts_with("<3>coffer: error:"), "{said}");
    assert!(said.contains("[vault_missing]"), "{said}");
    std::fs::rename(&gone, p.t.dir()).unwrap();

    let status = p.coffer(&["service", "status", "--account", "mail"]);
    assert!(text(&status).contains("is installed"), "{}", text(&status));
    let uninstall = p.coffer(&["service", "uninstall", "--account", "mail"]);
    assert_eq!(code(&uninstall), 0, "{}", text(&uninstall));
    assert!(!p.unit_path().exists());
    let status = p.coffer(&["service", "status", "--account", "mail"]);
    assert!(
        text(&status).contains("is not installed"),
        "{}",
        text(&status)
    );
}

/// The service unlocking from the desktop's Secret Service keyring, in a
/// D-Bus session of its own with a real GNOME Keyring: without the item, a
/// clear refusal; with the passphrase stored by the deployer's tool
/// (`secret-tool`), `install --keyring` writes a unit that names no file,
/// and its command line seals a delivered message.
#[test]
fn the_service_can_unlock_from_the_desktop_keyring() {
    for tool in ["dbus-run-session", "gnome-keyring-daemon", "secret-tool"] {
        assert!(
            Command::new("which")
                .arg(tool)
                .output()
                .unwrap()
                .status
                .success(),
            "{tool} is not installed (scripts/setup.sh test installs it)"
        );
    }
    let p = Place::new();
    let home = p.t.root().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let script = p.t.root().join("keyring.sh");
    std::fs::write(
        &script,
        r#"set -eu
printf x | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
# Ready when it takes an item (a slow start on a loaded machine).
for _ in $(seq 100); do
  if printf probe | secret-tool store --label=probe application coffer-probe 2>/dev/null; then break; fi
  sleep 0.1
done
if "$COFFER" --vault "$VAULT" watch --service --keyring --account mail --once-sealed 1 2>"$HOME/err1"; then
  echo "unlocked without a stored passphrase"; exit 10
fi
grep -q "holds no passphrase" "$HOME/err1" || { cat "$HOME/err1"; exit 11; }
printf '%s' "$PASS" | secret-tool store --label="Coffer vault" application coffer vault "$VAULT"
"$COFFER" --vault "$VAULT" service install --account mail --keyring
unit="$XDG_CONFIG_HOME/systemd/user/coffer-watch-mail.service"
grep -q -- '"--keyring"' "$unit" || { cat "$unit"; exit 12; }
if grep -q -- '--passphrase-file' "$unit"; then cat "$unit"; exit 13; fi
touch "$HOME/ready"
eval "$(sed -n 's/^ExecStart=//p' "$unit") --once-sealed 1"
"#,
    )
    .unwrap();
    let mut run = Command::new("dbus-run-session")
        .args(["--", "bash"])
        .arg(&script)
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", &p.config)
        .env("COFFER", env!("CARGO_BIN_EXE_coffer"))
        .env("VAULT", p.t.dir())
        .env("PASS", coffer_harness::PASSPHRASE)
        .env("COFFER_TEST_KDF", "weak")
        .env_remove("COFFER_VAULT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !home.join("ready").exists() {
        if let Some(status) = run.try_wait().unwrap() {
            let out = run.wait_with_output().unwrap();
            panic!("the keyring script ended early ({status}): {}", text(&out));
        }
        assert!(
            Instant::now() < deadline,
            "the keyring script never got ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let eml = b"From: a@example.org\r\nSubject: keyring\r\n\r\nseal me too\r\n";
    p.t.server.deliver(USER, "INBOX", eml).unwrap();
    while run.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = run.kill();
            panic!("the service did not seal within a minute");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = run.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("<6>sealed INBOX uid"),
        "{}",
        text(&out)
    );
    let inbox = p.t.server.mailbox_contents(USER, "INBOX").unwrap();
    assert_eq!(inbox.len(), 1);
    assert!(coffer_core::inspect(&inbox[0].bytes).is_ok(), "not sealed");
}
