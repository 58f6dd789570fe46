//! A minimal SMTP client, enough to hand a message to Postfix in tests.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};

fn expect(reader: &mut BufReader<TcpStream>, code: &str) -> Result<()> {
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            bail!("SMTP server closed the connection, expected {code}");
        }
        if !line.starts_with(code) {
            bail!("SMTP: expected {code}, got {line:?}");
        }
        // "250-..." continues, "250 ..." ends the reply.
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(());
        }
    }
}

/// Sends `eml` from `from` to `to` over SMTP on 127.0.0.1:`port`.
pub(crate) fn send(port: u16, from: &str, to: &[&str], eml: &[u8]) -> Result<()> {
    let stream = TcpStream::connect(("127.0.0.1", port)).context("connecting to SMTP")?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    expect(&mut reader, "220")?;
    writer.write_all(b"EHLO harness.example.test\r\n")?;
    expect(&mut reader, "250")?;
    writer.write_all(format!("MAIL FROM:<{from}>\r\n").as_bytes())?;
    expect(&mut reader, "250")?;
    for rcpt in to {
        writer.write_all(format!("RCPT TO:<{rcpt}>\r\n").as_bytes())?;
        expect(&mut reader, "250")?;
    }
    writer.write_all(b"DATA\r\n")?;
    expect(&mut reader, "354")?;
    // Dot-stuffing, with CRLF line endings on the wire.
    let mut data = Vec::with_capacity(eml.len() + 64);
    for line in eml.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if body.first() == Some(&b'.') {
            data.push(b'.');
        }
        data.extend_from_slice(body);
        data.extend_from_slice(b"\r\n");
    }
    data.extend_from_slice(b".\r\n");
    writer.write_all(&data)?;
    expect(&mut reader, "250")?;
    writer.write_all(b"QUIT\r\n")?;
    Ok(())
}
