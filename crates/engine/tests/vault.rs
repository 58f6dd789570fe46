//! The `Vault` lifecycle against real files: create, unlock, passwd, recover,
//! and every bad input leaving the vault's files untouched.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use coffer_core::{ExposeSecret as _, KdfParams, KeyFile};
use coffer_engine::testkit::snapshot;
use coffer_engine::{KdfPolicy, SecretString, Vault, VaultError};

fn pass(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn weak() -> KdfPolicy {
    KdfPolicy::weak_for_tests()
}

/// A fresh vault in a temporary directory.
fn new_vault() -> (tempfile::TempDir, PathBuf, SecretString) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let (_, recovery) = Vault::create(&dir, &pass("old pass"), weak()).unwrap();
    (tmp, dir, recovery)
}

fn vault_error(e: &anyhow::Error) -> Option<&VaultError> {
    e.chain().find_map(|c| c.downcast_ref::<VaultError>())
}

#[test]
fn create_then_unlock_gives_the_same_keys() {
    let (_tmp, dir, _) = new_vault();
    let vault = Vault::unlock(&dir, &pass("old pass"), weak()).unwrap();
    let status = vault.status().unwrap();
    assert!(status.recipient.starts_with("age1"));
    assert_eq!(status.schema_version, coffer_store::migrations::LATEST);
    assert_eq!(status.kdf.m_kib, 64);
    assert!(
        vault
            .export_identity()
            .expose_secret()
            .starts_with("AGE-SECRET-KEY-1")
    );
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("vault.key")), 0o600);
}

#[test]
fn create_refuses_an_existing_vault_and_changes_nothing() {
    let (_tmp, dir, _) = new_vault();
    let before = snapshot(&dir);
    let err = Vault::create(&dir, &pass("other"), weak()).unwrap_err();
    assert!(matches!(
        vault_error(&err),
        Some(VaultError::AlreadyExists(_))
    ));
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn a_failed_confirmation_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let err = Vault::create_confirmed(&dir, &pass("p"), weak(), |_| {
        anyhow::bail!("the user typed the wrong group")
    })
    .unwrap_err();
    assert!(err.to_string().contains("wrong group"));
    assert!(!dir.exists());
}

#[test]
fn a_wrong_passphrase_is_typed_and_changes_nothing() {
    let (_tmp, dir, _) = new_vault();
    let before = snapshot(&dir);
    let err = Vault::unlock(&dir, &pass("not it"), weak()).unwrap_err();
    assert!(matches!(
        vault_error(&err),
        Some(VaultError::WrongPassphrase)
    ));
    assert_eq!(format!("{err:#}"), "wrong passphrase");
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn a_missing_vault_is_not_found() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Vault::unlock(tmp.path(), &pass("p"), weak()).unwrap_err();
    assert!(matches!(vault_error(&err), Some(VaultError::NotFound(_))));
    assert!(err.to_string().contains("coffer init"));
}

#[test]
fn change_passphrase_retires_the_old_one() {
    let (_tmp, dir, _) = new_vault();
    let mut vault = Vault::unlock(&dir, &pass("old pass"), weak()).unwrap();
    let recipient = vault.keys().recipient();
    let err = vault
        .change_passphrase(&pass("wrong"), &pass("new"))
        .unwrap_err();
    assert!(matches!(
        vault_error(&err),
        Some(VaultError::WrongPassphrase)
    ));
    vault
        .change_passphrase(&pass("old pass"), &pass("new pass"))
        .unwrap();
    drop(vault);
    let err = Vault::unlock(&dir, &pass("old pass"), weak()).unwrap_err();
    assert!(matches!(
        vault_error(&err),
        Some(VaultError::WrongPassphrase)
    ));
    let vault = Vault::unlock(&dir, &pass("new pass"), weak()).unwrap();
    assert_eq!(vault.keys().recipient(), recipient);
}

#[test]
fn recover_in_place_keeps_the_database() {
    let (_tmp, dir, recovery) = new_vault();
    let vault = Vault::unlock(&dir, &pass("old pass"), weak()).unwrap();
    vault.store().set_setting("kept", "yes").unwrap();
    let recipient = vault.keys().recipient();
    drop(vault);
    // A damaged key file is exactly what recovery is for.
    std::fs::write(dir.join("vault.key"), b"garbage").unwrap();
    let vault = Vault::recover(&dir, &recovery, &pass("fresh"), weak()).unwrap();
    assert_eq!(vault.keys().recipient(), recipient);
    drop(vault);
    let vault = Vault::unlock(&dir, &pass("fresh"), weak()).unwrap();
    assert_eq!(
        vault.store().setting("kept").unwrap().as_deref(),
        Some("yes")
    );
}

#[test]
fn recover_into_a_new_directory_makes_a_fresh_vault() {
    let (tmp, dir, recovery) = new_vault();
    let recipient = Vault::unlock(&dir, &pass("old pass"), weak())
        .unwrap()
        .keys()
        .recipient();
    let other = tmp.path().join("elsewhere/vault");
    let vault = Vault::recover(&other, &recovery, &pass("fresh"), weak()).unwrap();
    assert_eq!(vault.keys().recipient(), recipient);
    drop(vault);
    assert!(Vault::unlock(&other, &pass("fresh"), weak()).is_ok());
}

#[test]
fn a_recovery_key_with_a_typo_is_rejected() {
    let (_tmp, dir, recovery) = new_vault();
    let before = snapshot(&dir);
    let mut typo = recovery.expose_secret().to_owned();
    // Change one symbol inside the third group to another valid symbol.
    let i = 13;
    let replacement = if &typo[i..=i] == "7" { "8" } else { "7" };
    typo.replace_range(i..=i, replacement);
    let err = Vault::recover(&dir, &pass(&typo), &pass("x"), weak()).unwrap_err();
    assert!(matches!(
        vault_error(&err),
        Some(VaultError::BadRecoveryKey(_))
    ));
    assert!(err.to_string().contains("typo"), "{err:#}");
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn another_vaults_recovery_key_changes_nothing() {
    let (_tmp, dir, _) = new_vault();
    let (_tmp2, _, other_recovery) = new_vault();
    let before = snapshot(&dir);
    let err = Vault::recover(&dir, &other_recovery, &pass("x"), weak()).unwrap_err();
    assert!(matches!(
        vault_error(&err),
        Some(VaultError::RecoveryKeyMismatch(_))
    ));
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn a_damaged_key_file_is_reported_and_kept() {
    let (_tmp, dir, _) = new_vault();
    let key = dir.join("vault.key");
    let good = std::fs::read(&key).unwrap();
    for (bytes, needle) in [
        (good[..40].to_vec(), "truncated"),
        (
            b"not a key file at all, just some garbage bytes".to_vec(),
            "not a Coffer key file",
        ),
        (Vec::new(), "truncated"),
    ] {
        std::fs::write(&key, &bytes).unwrap();
        let before = snapshot(&dir);
        let err = Vault::unlock(&dir, &pass("old pass"), weak()).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains(needle) && text.contains("vault.key"),
            "{text}"
        );
        assert!(
            vault_error(&err).is_none(),
            "a damaged file is not a user error"
        );
        assert_eq!(snapshot(&dir), before);
    }
}

#[test]
fn a_corrupted_database_is_reported_and_kept() {
    let (_tmp, dir, _) = new_vault();
    let db = dir.join("vault.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 32] {
        *b ^= 0x55;
    }
    std::fs::write(&db, &bytes).unwrap();
    let before = snapshot(&dir);
    let err = Vault::unlock(&dir, &pass("old pass"), weak()).unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("cannot be decrypted") && text.contains("vault.db"),
        "{text}"
    );
    assert_eq!(snapshot(&dir), before);
}

/// The app's unlock: the inbox first, every page checked right after on a
/// connection of its own; a damaged page is still reported, clearly.
#[test]
fn a_corrupted_database_is_reported_by_the_background_check() {
    let (_tmp, dir, _) = new_vault();
    let (vault, check) = Vault::unlock_then_check(&dir, &pass("old pass"), weak()).unwrap();
    check.run().unwrap();
    drop(vault);
    let db = dir.join("vault.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 32] {
        *b ^= 0x55;
    }
    std::fs::write(&db, &bytes).unwrap();
    let before = snapshot(&dir);
    let failed = match Vault::unlock_then_check(&dir, &pass("old pass"), weak()) {
        // The damaged page was not among those the unlock read.
        Ok((_vault, check)) => check.run().unwrap_err(),
        Err(e) => e,
    };
    let text = format!("{failed:#}");
    assert!(
        text.contains("cannot be decrypted") && text.contains("vault.db"),
        "{text}"
    );
    assert_eq!(
        coffer_engine::code_of(&failed),
        coffer_engine::Code::VaultDamaged
    );
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn an_unreachable_vault_directory_is_reported() {
    // chmod 000 does not stop root, and tests run as root here: a vault path
    // whose parent is a regular file fails for every user.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let dir = file.join("vault");
    let err = Vault::unlock(&dir, &pass("p"), weak()).unwrap_err();
    assert!(format!("{err:#}").contains("Not a directory"), "{err:#}");
    let err = Vault::create(&dir, &pass("p"), weak()).unwrap_err();
    assert!(format!("{err:#}").contains("Not a directory"), "{err:#}");
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}

#[test]
fn unlock_raises_parameters_below_the_target() {
    let (_tmp, dir, _) = new_vault();
    let target = KdfParams::new_unchecked_for_tests(128, 2, 1);
    let vault = Vault::unlock(
        &dir,
        &pass("old pass"),
        KdfPolicy::weak_target_for_tests(target),
    )
    .unwrap();
    assert_eq!(vault.kdf_params(), target);
    let on_disk = KeyFile::parse_for_tests(&std::fs::read(dir.join("vault.key")).unwrap()).unwrap();
    assert_eq!(on_disk.params(), target);
    drop(vault);
    assert!(Vault::unlock(&dir, &pass("old pass"), weak()).is_ok());
}

/// The one test at real strength: a key file at the Argon2id floor is raised
/// to the default by a production-policy unlock.
#[test]
fn a_floor_key_file_is_raised_to_the_default() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let floor = KdfPolicy::weak_target_for_tests(KdfParams::FLOOR);
    drop(Vault::create(&dir, &pass("p"), floor).unwrap());
    let start = Instant::now();
    let vault = Vault::unlock(&dir, &pass("p"), KdfPolicy::default()).unwrap();
    eprintln!(
        "unlock at the floor + re-wrap at the default: {:?}",
        start.elapsed()
    );
    assert_eq!(vault.kdf_params(), KdfParams::DEFAULT);
    let on_disk = KeyFile::parse(&std::fs::read(dir.join("vault.key")).unwrap()).unwrap();
    assert_eq!(on_disk.params(), KdfParams::DEFAULT);
    assert!(!on_disk.needs_upgrade());
}

/// The strength rule of `init`, `recover` and `passwd`: a guessable
/// passphrase is refused with a reason, and nothing changes on disk.
#[test]
fn a_guessable_new_passphrase_is_refused_everywhere() {
    let strict = weak().requiring_strength(coffer_core::passphrase::MIN_SCORE);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let err = Vault::create(&dir, &pass("password1"), strict).unwrap_err();
    assert_eq!(
        coffer_engine::code_of(&err),
        coffer_engine::Code::PassphraseRejected
    );
    assert!(format!("{err:#}").contains("too easy to guess"), "{err:#}");
    assert!(!dir.exists(), "a refused init writes nothing");

    let strong = pass("tulip orbit cactus lantern");
    let (mut vault, recovery) = Vault::create(&dir, &strong, strict).unwrap();
    let before = snapshot(&dir);
    let err = vault
        .change_passphrase(&strong, &pass("qwerty123"))
        .unwrap_err();
    assert_eq!(
        coffer_engine::code_of(&err),
        coffer_engine::Code::PassphraseRejected
    );
    let err = Vault::recover(&dir, &recovery, &pass("coffer"), strict).unwrap_err();
    assert_eq!(
        coffer_engine::code_of(&err),
        coffer_engine::Code::PassphraseRejected
    );
    assert_eq!(snapshot(&dir), before, "refusals change nothing");
    assert_eq!(
        vault.recovery_key(&strong).unwrap().expose_secret(),
        recovery.expose_secret(),
        "the recovery key is shown again with the passphrase"
    );
    assert!(vault.recovery_key(&pass("wrong")).is_err());
    drop(vault);
    Vault::unlock(&dir, &strong, strict).unwrap();
}
