//! A few lines of plain IMAP, the way another mail client would append.
//!
//! Deliberately independent of `coffer-net`: tests must not check Coffer's
//! IMAP code with itself.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn await_tag(reader: &mut BufReader<TcpStream>, tag: &str) -> Result<String> {
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            bail!("IMAP server closed the connection");
        }
        if let Some(rest) = line.strip_prefix(&format!("{tag} ")) {
            if rest.starts_with("OK") {
                return Ok(line);
            }
            bail!("IMAP {tag} failed: {line}");
        }
    }
}

pub(crate) fn append(
    port: u16,
    user: &str,
    password: &str,
    folder: &str,
    eml: &[u8],
    flags: &[&str],
    internaldate: Option<&str>,
) -> Result<()> {
    let stream = TcpStream::connect(("127.0.0.1", port)).context("connecting to IMAP")?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut w = stream.try_clone()?;
    let mut r = BufReader::new(stream);
    let mut greeting = String::new();
    r.read_line(&mut greeting)?;
    w.write_all(format!("a1 LOGIN {} {}\r\n", quote(user), quote(password)).as_bytes())?;
    await_tag(&mut r, "a1")?;
    let date = internaldate
        .map(|d| format!(" {}", quote(d)))
        .unwrap_or_default();
    let wire_folder = folder_to_mutf7(folder);
    w.write_all(
        format!(
            "a2 APPEND {} ({}){} {{{}+}}\r\n",
            quote(&wire_folder),
            flags.join(" "),
            date,
            eml.len()
        )
        .as_bytes(),
    )?;
    w.write_all(eml)?;
    w.write_all(b"\r\n")?;
    await_tag(&mut r, "a2")?;
    w.write_all(b"a3 LOGOUT\r\n")?;
    Ok(())
}

/// Modified UTF-7 by way of Dovecot's own converter, to stay independent.
fn folder_to_mutf7(folder: &str) -> String {
    if folder.is_ascii() && !folder.contains('&') {
        return folder.to_owned();
    }
    std::process::Command::new("doveadm")
        .args(["mailbox", "mutf7", folder])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| folder.to_owned())
}
