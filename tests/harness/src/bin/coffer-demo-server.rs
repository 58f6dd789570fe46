//! A throwaway demo mailbox on loopback: a real Dovecot holding realistic
//! plaintext mail ([`coffer_harness::demo`]), for trying the app
//! (`scripts/run-app.sh`: "Try the demo") and for the app's end-to-end tests.
//!
//! Prints one JSON line with how to connect, then runs until its standard
//! input closes, and stops the server.

use std::io::Read as _;

use anyhow::Context as _;
use coffer_harness::{DOMAIN, MailServer, PASSWORD, USER, demo};

fn main() -> anyhow::Result<()> {
    // Dovecot, and Postfix for sending (to bob@example.test, say).
    let server = MailServer::builder()
        .smtp()
        .user("bob", "bob-demo-pw")
        .start()
        .context("starting the demo Dovecot and Postfix")?;
    for folder in demo::FOLDERS {
        server.create_folder(USER, folder)?;
    }
    // `--hostile URL`: also a folder of hostile HTML that tries to reach URL.
    let args: Vec<String> = std::env::args().collect();
    let mut messages = demo::messages();
    if let Some(beacon) = args
        .iter()
        .position(|a| a == "--hostile")
        .and_then(|i| args.get(i + 1))
    {
        server.create_folder(USER, demo::HOSTILE_FOLDER)?;
        messages.extend(demo::hostile(beacon));
    }
    let count = messages.len();
    for m in messages {
        server
            .append(
                USER,
                PASSWORD,
                m.folder,
                &m.bytes,
                m.flags,
                Some(&m.internaldate),
            )
            .with_context(|| format!("putting a demo message into {}", m.folder))?;
    }
    let info = serde_json::json!({
        "host": server.host(),
        "imaps_port": server.imaps_port(),
        "imap_port": server.imap_port(),
        "ca_file": server.ca_file(),
        // The full address: Dovecot logs in by its local part, and sent mail
        // comes from it.
        "user": format!("{USER}@{DOMAIN}"),
        "smtp_port": server.submissions_port(),
        "password": PASSWORD,
        "messages": count,
    });
    println!("{info}");
    // Run until whoever started us closes our stdin (or exits).
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(server);
    Ok(())
}
