//! Server text cannot drive the terminal: a folder named with escape
//! sequences and a bidi override, on a real Dovecot, through every command
//! that prints folder names — none writes an ESC or the override raw.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::Path;
use std::process::Output;

use coffer_harness::{MailServer, PASSWORD, TestVault, USER};
use support::{code, s, text};

mod support;

const EVIL: &str = "Evil\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}txt.exe";

fn assert_clean(args: &[&str], out: &Output) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let t = String::from_utf8_lossy(bytes);
        assert!(
            !t.contains('\u{1b}'),
            "{args:?} wrote ESC on {stream}: {t:?}"
        );
        assert!(
            !t.contains('\u{7}'),
            "{args:?} wrote BEL on {stream}: {t:?}"
        );
        assert!(
            !t.contains('\u{202e}'),
            "{args:?} wrote a bidi override on {stream}: {t:?}"
        );
    }
}

#[test]
fn a_folder_named_with_escape_sequences_is_shown_escaped_everywhere() {
    let server = MailServer::start().unwrap();
    // Dovecot refuses to CREATE such a name, but serves one it finds on disk.
    let wire = coffer_engine::net::mutf7::encode(EVIL);
    server
        .plant_folder(
            USER,
            &wire,
            &[b"Subject: in the evil folder\r\n\r\nbody\r\n"],
        )
        .unwrap();
    assert!(
        server.folders(USER).unwrap().iter().any(|f| f == EVIL),
        "Dovecot lists the name"
    );
    let t = TestVault::builder().started(server).account("mail").build();
    let server = &t.server;
    let run = |args: &[&str]| -> Output {
        let out = t
            .command(Path::new(env!("CARGO_BIN_EXE_coffer")))
            .args(args)
            .output()
            .unwrap();
        assert_clean(args, &out);
        out
    };

    let test = run(&["account", "test", "mail"]);
    assert!(text(&test).contains("Evil\\u{1b}[2J"), "{}", text(&test));
    run(&["seal", "--dry-run"]);
    let sealed = run(&["seal"]);
    assert_eq!(code(&sealed), 0, "{}", text(&sealed));
    run(&["seal", "--folder", EVIL]);
    run(&["search", "in:\"Evil\"", "evil"]);
    run(&["search", "evil"]);
    run(&["sync"]);
    let id = String::from_utf8(run(&["search", "--json", "evil"]).stdout).unwrap();
    let id: serde_json::Value = serde_json::from_str(&id).unwrap();
    run(&["show", &id[0]["id"].to_string()]);
    // An error naming the folder.
    let missing = format!("{EVIL}-missing");
    let out = run(&["seal", "--folder", &missing]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    // The auditor's check (keyless), and watch until it sealed a new message.
    let imap = format!("{}:{}", server.host(), server.imaps_port());
    let ca = server.ca_file();
    let pw = t.password_file();
    run(&[
        "audit",
        "--imap",
        &imap,
        "--user",
        USER,
        "--password-file",
        s(&pw),
        "--ca-file",
        s(&ca),
    ]);
    server
        .append(
            USER,
            PASSWORD,
            EVIL,
            b"Subject: another\r\n\r\nbody\r\n",
            &[],
            None,
        )
        .unwrap();
    let watch = run(&["watch", "--once-sealed", "1", "--poll-seconds", "1"]);
    assert_eq!(code(&watch), 0, "{}", text(&watch));
    assert!(text(&watch).contains("Evil\\u{1b}"), "{}", text(&watch));
}
