//! The fault campaign: connections cut at hundreds of byte offsets spread
//! over whole sealing runs, and `kill -9` of the `coffer` process at random
//! moments, each followed by more runs until the mailbox converges. After
//! every fault nothing is lost (each original exists as plaintext, as a
//! verified seal, or both); at the end each exists exactly once, as a
//! verified seal with the original's bytes, flags and INTERNALDATE.
//!
//! `COFFER_FAULT_ROUNDS` and `COFFER_FAULT_KILLS` lengthen the campaign;
//! `COFFER_FAULT_SEED` replays one (`scripts/fault-campaign.sh`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use coffer_core::{Authenticity, VaultKeys};
use coffer_engine::seal::PURGE_FOLDER;
use coffer_engine::seal::SealOptions;
use coffer_engine::{KdfPolicy, SecretString, Vault};
use coffer_harness::proxy::FaultProxy;
use coffer_harness::{Builder, MailServer, PASSPHRASE, PASSWORD, TestVault, USER};
use rand::{Rng as _, SeedableRng as _};

mod support;

const FOLDERS: [&str; 2] = ["INBOX", "Work/Ünïcode"];

/// One original message and where it lives.
struct Original {
    folder: &'static str,
    bytes: Vec<u8>,
    flags: Vec<String>,
    internaldate: i64,
}

fn originals() -> Vec<Original> {
    let sizes = [0usize, 120, 3_000, 20_000, 70_000, 150_000, 600, 9_000];
    let flag_sets: [&[&str]; 4] = [
        &[],
        &["\\Seen"],
        &["\\Flagged", "$Work"],
        &["\\Seen", "\\Answered"],
    ];
    sizes
        .iter()
        .enumerate()
        .map(|(i, size)| {
            let mut bytes = format!(
                "From: sender{i}@example.org\r\nTo: alice@example.test\r\nSubject: original {i}\r\n\
                 Message-ID: <fault{i}@example.org>\r\n\r\n"
            )
            .into_bytes();
            bytes.extend((0..*size).map(|j| b"abcdefghij\r\n"[j % 12]));
            Original {
                folder: FOLDERS[i % 2],
                bytes,
                flags: flag_sets[i % 4].iter().map(|f| (*f).to_owned()).collect(),
                internaldate: 1_700_000_000 + i as i64 * 86_400,
            }
        })
        .collect()
}

fn imap_date(unix: i64) -> String {
    let out = Command::new("date")
        .args(["-u", "-d", &format!("@{unix}"), "+%d-%b-%Y %H:%M:%S +0000"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A mailbox holding the originals, a vault, and an account that reaches
/// Dovecot through the fault proxy.
struct Stage {
    /// The shared fixture: the vault's account reaches the server through
    /// `proxy`.
    t: TestVault,
    proxy: FaultProxy,
    originals: Vec<Original>,
    /// A rotation is under way: old seals may be marked \Deleted.
    rotating: std::cell::Cell<bool>,
    /// Escrow was turned on: once rotated, every seal has two recipients.
    escrowed: std::cell::Cell<bool>,
}

/// A server without UIDPLUS (originals go by way of Coffer's purge
/// folder), keeping its own log of the commands it was sent.
fn without_uidplus() -> Builder {
    MailServer::builder()
        .without_capabilities(&["UIDPLUS"])
        .command_log()
}

impl Stage {
    fn new(server: Builder) -> Self {
        let server = server.start().unwrap();
        server.create_folder(USER, FOLDERS[1]).unwrap();
        let originals = originals();
        for o in &originals {
            let flags: Vec<&str> = o.flags.iter().map(String::as_str).collect();
            server
                .append(
                    USER,
                    PASSWORD,
                    o.folder,
                    &o.bytes,
                    &flags,
                    Some(&imap_date(o.internaldate)),
                )
                .unwrap();
        }
        let proxy = FaultProxy::start(server.imaps_port()).unwrap();
        let t = TestVault::builder()
            .started(server)
            .imap_port(proxy.port())
            .account("acct")
            .build();
        Self {
            t,
            proxy,
            originals,
            rotating: std::cell::Cell::new(false),
            escrowed: std::cell::Cell::new(false),
        }
    }

    fn vault_dir(&self) -> PathBuf {
        self.t.dir()
    }

    fn unlock(&self) -> Vault {
        Vault::unlock(
            &self.vault_dir(),
            &secret(PASSPHRASE),
            KdfPolicy::weak_for_tests(),
        )
        .unwrap()
    }

    /// One in-process sealing run; its error (if the proxy cut it) is fine.
    fn seal_once(&self, vault: &Vault) -> anyhow::Result<coffer_engine::seal::SealSummary> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // Small batches over two sessions: more steps in a run, so faults
        // land between more different journal states.
        let options = SealOptions {
            batch_messages: 3,
            workers: 2,
            ..SealOptions::default()
        };
        runtime.block_on(vault.seal(Some("acct"), &options, |_| {}))
    }

    /// Checks the invariants; `converged` adds "exactly once, sealed". An
    /// original waiting in Coffer's purge folder counts as plaintext where
    /// it came from; once converged, that folder is empty.
    fn check(&self, keys: &VaultKeys, converged: bool, when: &str) {
        let purging = match self
            .t
            .server
            .folders(USER)
            .unwrap()
            .iter()
            .any(|f| f == PURGE_FOLDER)
        {
            true => self.t.server.mailbox_contents(USER, PURGE_FOLDER).unwrap(),
            false => Vec::new(),
        };
        if converged {
            assert!(
                purging.is_empty(),
                "{when}: plaintext left in {PURGE_FOLDER}"
            );
        }
        for folder in FOLDERS {
            let mut contents = self.t.server.mailbox_contents(USER, folder).unwrap();
            contents.extend(
                purging
                    .iter()
                    .filter(|m| {
                        self.originals
                            .iter()
                            .any(|o| o.folder == folder && o.bytes == m.bytes)
                    })
                    .cloned(),
            );
            let mut plain = vec![0usize; self.originals.len()];
            let mut sealed = vec![0usize; self.originals.len()];
            // Seals a rotation marked \Deleted once their new copy was
            // verified: each must have a live seal of its original beside it.
            let mut deleted_seals = Vec::new();
            for m in &contents {
                let is_seal = m.bytes.windows(15).any(|w| w == b"X-Coffer-Seal: ");
                let content = if is_seal {
                    let opened = coffer_core::open(keys, &m.bytes).unwrap_or_else(|e| {
                        panic!("{when}: a seal in {folder} does not open: {e}")
                    });
                    assert_eq!(opened.authenticity, Authenticity::Verified, "{when}");
                    if m.flags.iter().any(|f| f == "\\Deleted") {
                        assert!(
                            self.rotating.get() && !converged,
                            "{when}: our seal is \\Deleted"
                        );
                        deleted_seals.push(opened.original);
                        continue;
                    }
                    opened.original
                } else {
                    m.bytes.clone()
                };
                let i = self
                    .originals
                    .iter()
                    .position(|o| o.folder == folder && o.bytes == content)
                    .unwrap_or_else(|| {
                        panic!("{when}: {folder} holds a message that is no original")
                    });
                if is_seal {
                    sealed[i] += 1;
                    if converged {
                        let o = &self.originals[i];
                        let mut got: Vec<&str> = m
                            .flags
                            .iter()
                            .map(String::as_str)
                            .filter(|f| *f != "\\Recent")
                            .collect();
                        let mut want: Vec<&str> = o.flags.iter().map(String::as_str).collect();
                        got.sort_unstable();
                        want.sort_unstable();
                        assert_eq!(got, want, "{when}: flags of original {i}");
                        assert_eq!(
                            m.internaldate, o.internaldate,
                            "{when}: date of original {i}"
                        );
                    }
                } else {
                    plain[i] += 1;
                    if converged {
                        println!(
                            "{when}: plaintext original {i} left with flags {:?}",
                            m.flags
                        );
                    }
                }
            }
            for original in &deleted_seals {
                let i = self
                    .originals
                    .iter()
                    .position(|o| o.folder == folder && &o.bytes == original)
                    .unwrap_or_else(|| panic!("{when}: a \\Deleted seal of no original"));
                assert!(
                    sealed[i] >= 1,
                    "{when}: original {i}'s only seal is marked \\Deleted"
                );
            }
            for (i, o) in self
                .originals
                .iter()
                .enumerate()
                .filter(|(_, o)| o.folder == folder)
            {
                assert!(
                    plain[i] + sealed[i] >= 1,
                    "{when}: original {i} ({} bytes) in {folder} is LOST",
                    o.bytes.len()
                );
                if converged {
                    assert_eq!(
                        (plain[i], sealed[i]),
                        (0, 1),
                        "{when}: original {i} in {folder}"
                    );
                }
            }
        }
    }
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Stage {
    /// One in-process rotation run; its error (if the proxy cut it) is fine.
    fn rotate_once(&self, vault: &mut Vault) -> anyhow::Result<coffer_engine::seal::RotateSummary> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let options = SealOptions {
            batch_messages: 3,
            workers: 2,
            ..SealOptions::default()
        };
        runtime.block_on(vault.rotate(Some("acct"), &options, |_| {}))
    }

    /// After a finished rotation: every seal is to the vault and the
    /// organisation (two recipients).
    fn check_rotated(&self, when: &str) {
        for folder in FOLDERS {
            for m in self.t.server.mailbox_contents(USER, folder).unwrap() {
                let info = coffer_core::inspect(&m.bytes).unwrap();
                assert_eq!(
                    info.recipient_count(),
                    2,
                    "{when}: a seal in {folder} not rotated"
                );
            }
        }
    }
}

/// Runs to completion (no faults); must converge within a few runs.
fn converge(stage: &Stage, vault: &Vault, when: &str) {
    stage.proxy.unlimited();
    for attempt in 0..3 {
        match stage.seal_once(vault) {
            Ok(summary)
                if summary.failed.is_empty()
                    && summary.skipped.is_empty()
                    && summary.warnings.is_empty()
                    && summary.sealed == 0 =>
            {
                break;
            }
            Ok(summary) => println!("{when}: converging run {attempt}: {summary:?}"),
            Err(e) => println!("{when}: converging run {attempt} failed: {e:#}"),
        }
    }
    stage.check(vault.keys(), true, when);
}

#[test]
fn connections_cut_at_hundreds_of_offsets_lose_nothing() {
    let rounds = env_or("COFFER_FAULT_ROUNDS", 20);
    cut_campaign(MailServer::builder, rounds, 200);
}

#[test]
fn without_uidplus_connections_cut_at_a_hundred_offsets_lose_nothing() {
    let rounds = env_or("COFFER_FAULT_ROUNDS", 10);
    let stages = cut_campaign(without_uidplus, rounds, 100);
    let bare: usize = stages
        .iter()
        .map(bare_expunges_only_in_coffers_folder)
        .sum();
    assert!(bare > 0, "no original was removed by way of {PURGE_FOLDER}");
}

/// What the server was sent proves the path: never `UID EXPUNGE` (Dovecot
/// would carry it out with UIDPLUS hidden), and a bare `EXPUNGE` only while
/// Coffer's purge folder is selected. Returns how many bare ones there were.
fn bare_expunges_only_in_coffers_folder(stage: &Stage) -> usize {
    let sessions = stage.t.server.imap_sessions().unwrap();
    let mut bare = 0;
    for session in &sessions {
        let mut selected = String::new();
        for line in session {
            let mut words = line.splitn(3, ' ').skip(1);
            let command = words.next().unwrap_or_default().to_ascii_uppercase();
            let rest = words.next().unwrap_or_default();
            match command.as_str() {
                "SELECT" | "EXAMINE" => selected = rest.trim_matches('"').to_owned(),
                "UID" => assert!(
                    !rest.to_ascii_uppercase().starts_with("EXPUNGE"),
                    "UID EXPUNGE sent to a server without UIDPLUS: {line}"
                ),
                "EXPUNGE" => {
                    assert_eq!(
                        selected, PURGE_FOLDER,
                        "a bare EXPUNGE outside Coffer's folder"
                    );
                    bare += 1;
                }
                _ => {}
            }
        }
    }
    bare
}

/// Cuts connections at random offsets over whole runs, `rounds` rounds of
/// ten on fresh stages, each round then converging. Returns the stages.
fn cut_campaign(server: fn() -> Builder, rounds: u64, at_least: u64) -> Vec<Stage> {
    let faults_per_round = 10;
    let seed = env_or("COFFER_FAULT_SEED", rand::random());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    println!("fault campaign: seed {seed} (COFFER_FAULT_SEED={seed} replays it)");

    // Calibrate: how many bytes does one whole run move?
    let stage = Stage::new(server());
    let vault = stage.unlock();
    let before = stage.proxy.bytes_passed();
    stage.seal_once(&vault).unwrap();
    let whole_run = stage.proxy.bytes_passed() - before;
    stage.check(vault.keys(), true, "calibration");
    println!("one whole run moves {whole_run} bytes");

    let (mut injected, mut cut) = (0u64, 0u64);
    let mut stages = vec![stage];
    for round in 0..rounds {
        let stage = Stage::new(server());
        let vault = stage.unlock();
        // Halved each time a run of this round ends before its cut.
        let mut shrink = 1;
        for k in 0..faults_per_round {
            // Spread offsets over the whole run: early faults hit the
            // handshake and planning, late ones the verify-and-delete steps.
            // Later runs of a round have less left to do (earlier ones may
            // have sealed part of the mailbox), so offsets shrink with k.
            let span = (whole_run * (faults_per_round - k) / faults_per_round / shrink).max(2);
            let offset = rng.gen_range(1..span);
            stage.proxy.cut_after(offset);
            let cuts_before = stage.proxy.cuts();
            let _ = stage.seal_once(&vault);
            injected += 1;
            let landed = stage.proxy.cuts() - cuts_before;
            if landed == 0 {
                shrink *= 2;
            }
            cut += landed;
            stage.check(
                vault.keys(),
                false,
                &format!("round {round} fault {k} at byte {offset}"),
            );
        }
        converge(&stage, &vault, &format!("round {round} after its faults"));
        stages.push(stage);
    }
    println!("cut faults: {injected} injected, {cut} connections cut, {rounds} rounds converged");
    assert!(injected >= at_least || rounds * faults_per_round < at_least);
    assert!(
        cut >= injected / 2,
        "most faults must land inside a run ({cut} of {injected})"
    );
    stages
}

#[test]
fn kill_minus_nine_at_random_moments_loses_nothing() {
    let kills = env_or("COFFER_FAULT_KILLS", 12);
    kill_campaign(MailServer::builder, kills);
}

#[test]
fn without_uidplus_kill_minus_nine_at_random_moments_loses_nothing() {
    let kills = env_or("COFFER_FAULT_KILLS", 12);
    let stages = kill_campaign(without_uidplus, kills);
    let bare: usize = stages
        .iter()
        .map(bare_expunges_only_in_coffers_folder)
        .sum();
    assert!(bare > 0, "no original was removed by way of {PURGE_FOLDER}");
}

/// Kills `coffer seal` with SIGKILL at random moments, on a fresh stage
/// every four kills, each stage then finished by the binary. Returns the
/// stages.
fn kill_campaign(server: fn() -> Builder, kills: u64) -> Vec<Stage> {
    kill_campaign_of("seal", server, kills, |stage| stage)
}

/// The kill campaign of `coffer COMMAND --account acct` on stages made by
/// `server` and then `prepare`d.
fn kill_campaign_of(
    command: &'static str,
    server: fn() -> Builder,
    kills: u64,
    prepare: fn(Stage) -> Stage,
) -> Vec<Stage> {
    let seed = env_or("COFFER_FAULT_SEED", rand::random());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    println!("kill campaign: seed {seed}");
    let pass_file = |stage: &Stage| stage.t.pass_file();
    let spawn = |stage: &Stage, pass: &Path| {
        support::coffer()
            .arg("--vault")
            .arg(stage.vault_dir())
            .arg("--passphrase-file")
            .arg(pass)
            .args([command, "--account", "acct"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };

    // Calibrate the length of one whole run of the binary.
    let stage = prepare(Stage::new(server()));
    let pass = pass_file(&stage);
    let started = Instant::now();
    assert!(spawn(&stage, &pass).wait().unwrap().success());
    let whole = started.elapsed();
    println!("one whole run of `coffer {command}` takes {whole:?}");

    let (mut killed, mut finished_first) = (0u64, 0u64);
    let mut stages = vec![stage];
    let mut stage = prepare(Stage::new(server()));
    let mut pass = pass_file(&stage);
    // Later runs on a stage have less left to do than the calibrated whole
    // run, and a loaded machine makes the calibration long: when a run
    // finishes before its kill, the next kill comes sooner. Up to three
    // times the planned kills are tried, until half of them landed.
    let mut window = whole;
    let mut k = 0;
    while k < kills || (killed < kills / 2 && k < kills * 3) {
        if k % 4 == 0 && k > 0 {
            stages.push(std::mem::replace(&mut stage, prepare(Stage::new(server()))));
            pass = pass_file(&stage);
        }
        let mut child = spawn(&stage, &pass);
        let delay = Duration::from_micros(rng.gen_range(0..window.as_micros().max(1) as u64));
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        } else {
            finished_first += 1;
            window = window.mul_f64(0.6);
        }
        child.wait().unwrap();
        let vault = stage.unlock();
        stage.check(vault.keys(), false, &format!("kill {k} after {delay:?}"));
        if k % 4 == 3 || k + 1 == kills {
            // The binary itself finishes the job.
            assert!(
                spawn(&stage, &pass).wait().unwrap().success(),
                "re-run after kill {k}"
            );
            // Unlocked again: a rekey run gave the vault a new identity.
            let vault = stage.unlock();
            stage.check(vault.keys(), true, &format!("after kill {k} and a re-run"));
            if stage.escrowed.get() {
                stage.check_rotated(&format!("after kill {k} and a re-run"));
            }
            if command == "rekey" {
                // Every seal is to the vault's identity now, none to an
                // older one only.
                for folder in FOLDERS {
                    for m in stage.t.server.mailbox_contents(USER, folder).unwrap() {
                        assert!(
                            coffer_core::open_with_identity(vault.keys().identity(), &m.bytes)
                                .is_ok(),
                            "after kill {k} and a re-run: a seal in {folder} not to the current identity"
                        );
                    }
                }
            }
        }
        k += 1;
    }
    println!(
        "kill faults: {killed} processes killed with SIGKILL, {finished_first} finished first"
    );
    assert!(
        killed >= kills / 2,
        "most kills must land inside a run ({killed} of {k})"
    );
    stages.push(stage);
    stages
}

#[test]
fn rotation_cut_at_a_hundred_offsets_loses_nothing_and_ends_sealed_once_to_the_new_set() {
    let rounds = env_or("COFFER_FAULT_ROUNDS", 10);
    let faults_per_round = 10;
    let seed = env_or("COFFER_FAULT_SEED", rand::random());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    println!("rotation fault campaign: seed {seed} (COFFER_FAULT_SEED={seed} replays it)");
    let org = coffer_core::MasterSecret::from_bytes(&mut [42; 32])
        .derive()
        .unwrap()
        .recipient();
    let fingerprint = coffer_core::escrow::fingerprint(&org);
    // A sealed stage with escrow just turned on: every seal needs rotating.
    let sealed_stage = || {
        let stage = Stage::new(MailServer::builder());
        let mut vault = stage.unlock();
        converge(&stage, &vault, "sealing before the rotation");
        vault.set_escrow(&org.to_string(), &fingerprint).unwrap();
        stage.rotating.set(true);
        stage.escrowed.set(true);
        (stage, vault)
    };

    // Calibrate: how many bytes does one whole rotation move?
    let (stage, mut vault) = sealed_stage();
    let before = stage.proxy.bytes_passed();
    let done = stage.rotate_once(&mut vault).unwrap();
    assert!(done.finished, "{done:?}");
    let whole_run = stage.proxy.bytes_passed() - before;
    stage.check(vault.keys(), true, "rotation calibration");
    stage.check_rotated("rotation calibration");
    println!("one whole rotation moves {whole_run} bytes");

    let (mut injected, mut cut) = (0u64, 0u64);
    for round in 0..rounds {
        let (stage, mut vault) = sealed_stage();
        let mut shrink = 1;
        for k in 0..faults_per_round {
            let span = (whole_run * (faults_per_round - k) / faults_per_round / shrink).max(2);
            let offset = rng.gen_range(1..span);
            stage.proxy.cut_after(offset);
            let cuts_before = stage.proxy.cuts();
            let _ = stage.rotate_once(&mut vault);
            injected += 1;
            let landed = stage.proxy.cuts() - cuts_before;
            if landed == 0 {
                shrink *= 2;
            }
            cut += landed;
            stage.check(
                vault.keys(),
                false,
                &format!("rotation round {round} fault {k} at byte {offset}"),
            );
        }
        stage.proxy.unlimited();
        let mut finished = false;
        for attempt in 0..4 {
            match stage.rotate_once(&mut vault) {
                Ok(done) if done.finished => {
                    finished = true;
                    break;
                }
                Ok(done) => println!("round {round}: converging rotation {attempt}: {done:?}"),
                Err(e) => println!("round {round}: converging rotation {attempt} failed: {e:#}"),
            }
        }
        assert!(finished, "round {round}: the rotation did not finish");
        let when = format!("rotation round {round} after its faults");
        stage.check(vault.keys(), true, &when);
        stage.check_rotated(&when);
    }
    println!(
        "rotation cut faults: {injected} injected, {cut} connections cut, {rounds} rounds converged"
    );
    assert!(injected >= 100 || rounds < 10);
    assert!(
        cut >= injected / 2,
        "most faults must land inside a run ({cut} of {injected})"
    );
}

#[test]
fn rotation_killed_at_random_moments_loses_nothing() {
    let kills = env_or("COFFER_FAULT_KILLS", 8);
    kill_campaign_of("rotate", MailServer::builder, kills, |stage| {
        let mut vault = stage.unlock();
        converge(&stage, &vault, "sealing before the rotation");
        let org = coffer_core::MasterSecret::from_bytes(&mut [43; 32])
            .derive()
            .unwrap()
            .recipient();
        vault
            .set_escrow(&org.to_string(), &coffer_core::escrow::fingerprint(&org))
            .unwrap();
        stage.rotating.set(true);
        stage.escrowed.set(true);
        drop(vault);
        stage
    });
}

#[test]
fn rekey_killed_at_random_moments_loses_nothing() {
    let kills = env_or("COFFER_FAULT_KILLS", 8);
    kill_campaign_of("rekey", MailServer::builder, kills, |stage| {
        let vault = stage.unlock();
        converge(&stage, &vault, "sealing before the new identity");
        drop(vault);
        stage.rotating.set(true);
        stage
    });
}
