//! A throwaway demo mailbox on loopback: a real Dovecot with sealed and
//! plaintext mail, for trying the app (`scripts/run-app.sh`) and for the
//! app's end-to-end tests.
//!
//! Prints one JSON line with how to connect, then runs until its standard
//! input closes, and stops the server.

use std::io::Read as _;

use anyhow::Context as _;
use coffer_core::seal::{InternalDate, SealInput};
use coffer_core::{MasterSecret, seal};
use coffer_harness::{DOMAIN, MailServer, PASSWORD, USER};

fn demo_message(i: usize, subject: &str) -> Vec<u8> {
    format!(
        "From: Demo Sender <sender{i}@{DOMAIN}>\r\nTo: {USER}@{DOMAIN}\r\nSubject: {subject}\r\n\
         Message-ID: <demo{i}@{DOMAIN}>\r\nDate: Thu, 01 Feb 2024 10:00:00 +0000\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nThis is demo message {i}.\r\n"
    )
    .into_bytes()
}

fn main() -> anyhow::Result<()> {
    let server = MailServer::start().context("starting the demo Dovecot")?;
    let mut rng = rand::rngs::OsRng;
    let keys = MasterSecret::generate(&mut rng).derive()?;
    server.create_folder(USER, "Archive/2024")?;
    let subjects = [
        "Welcome to Coffer",
        "Your invoice",
        "Team lunch",
        "Travel plans",
    ];
    for (i, subject) in subjects.iter().enumerate() {
        let folder = if i % 2 == 0 { "INBOX" } else { "Archive/2024" };
        let original = demo_message(i, subject);
        let input = SealInput {
            folder,
            flags: &[],
            internaldate: InternalDate::new(1_706_781_600 + i as i64 * 3600, 0)?,
            original: &original,
        };
        server.deliver(USER, folder, &seal(&keys, &input, &mut rng)?)?;
    }
    // Two messages the demo has not sealed, so the audit has something to find.
    server.deliver(USER, "INBOX", &demo_message(10, "Not sealed yet"))?;
    server.deliver(USER, "Archive/2024", &demo_message(11, "Also plaintext"))?;

    let info = serde_json::json!({
        "host": server.host(),
        "imaps_port": server.imaps_port(),
        "imap_port": server.imap_port(),
        "ca_file": server.ca_file(),
        "user": USER,
        "password": PASSWORD,
    });
    println!("{info}");
    // Run until whoever started us closes our stdin (or exits).
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(server);
    Ok(())
}
