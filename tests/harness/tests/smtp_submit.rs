//! `coffer_net::smtp` against a real Postfix (submission with implicit TLS
//! and with STARTTLS, AUTH checked by Dovecot) delivering into Dovecot: the
//! message arrives intact; each recipient's answer is kept apart; a wrong
//! password, a missing STARTTLS, an untrusted certificate and a message over
//! the server's SIZE each give their own error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Duration;

use coffer_harness::{DOMAIN, MailServer, PASSWORD, USER};
use coffer_net::smtp::{Answer, SmtpConfig, SmtpSession};
use coffer_net::{NetError, Security};
use secrecy::SecretString;

fn server() -> MailServer {
    MailServer::builder()
        .smtp()
        .user("bob", "bob-pw")
        .start()
        .unwrap()
}

fn config(server: &MailServer, port: u16, security: Security) -> SmtpConfig {
    SmtpConfig {
        security,
        ca_pem: Some(std::fs::read(server.ca_file()).unwrap()),
        timeout: Duration::from_secs(20),
        ..SmtpConfig::new(server.host(), port)
    }
}

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn eml(subject: &str) -> Vec<u8> {
    format!(
        "From: Alice <{USER}@{DOMAIN}>\r\nTo: Bob <bob@{DOMAIN}>\r\nSubject: {subject}\r\n\
         Message-ID: <{subject}@{DOMAIN}>\r\nDate: Sun, 06 Dec 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\nGrüße aus dem Tresor.\r\n"
    )
    .into_bytes()
}

fn pass(p: &str) -> SecretString {
    SecretString::from(p.to_owned())
}

#[test]
fn implicit_tls_and_starttls_submit_and_each_recipient_is_answered() {
    let server = server();
    let from = format!("{USER}@{DOMAIN}");
    for (port, security, subject) in [
        (server.submissions_port(), Security::Tls, "implicit"),
        (server.submission_port(), Security::StartTls, "starttls"),
    ] {
        let message = eml(subject);
        let submission = run(async {
            let mut s =
                SmtpSession::connect(&config(&server, port, security), USER, &pass(PASSWORD))
                    .await
                    .unwrap();
            assert!(s.max_size().is_some_and(|n| n > 1_000_000), "SIZE read");
            let done = s
                .submit(
                    &from,
                    &[format!("nobody@{DOMAIN}"), format!("bob@{DOMAIN}")],
                    &message,
                )
                .await
                .unwrap();
            s.quit().await;
            done
        });
        let (nobody, bob) = (&submission.recipients[0], &submission.recipients[1]);
        match &nobody.1 {
            Answer::Permanent(reply) => {
                assert!(reply.contains("no such user"), "{reply}");
            }
            other => panic!("nobody@ was not refused: {other:?}"),
        }
        assert_eq!(bob.1, Answer::Accepted);
        assert_eq!(submission.message, Some(Answer::Accepted));
    }
    // Both arrived byte for byte (after the trace headers servers add on top).
    let got = server
        .wait_for_messages("bob", "INBOX", 2, Duration::from_secs(30))
        .unwrap();
    for subject in ["implicit", "starttls"] {
        let body = eml(subject);
        assert!(
            got.iter().any(|m| m.bytes.ends_with(&body)),
            "{subject} did not arrive intact: {:?}",
            got.iter()
                .map(|m| String::from_utf8_lossy(&m.bytes).into_owned())
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn each_failure_has_its_own_error() {
    let server = server();
    let ok = config(&server, server.submissions_port(), Security::Tls);

    let wrong = run(SmtpSession::connect(&ok, USER, &pass("not-the-password")));
    assert!(
        matches!(wrong, Err(NetError::AuthFailed { .. })),
        "{wrong:?}"
    );

    // The plain port offers no STARTTLS: refused before any password is sent.
    let plain = config(&server, server.smtp_port(), Security::StartTls);
    let no_tls = run(SmtpSession::connect(&plain, USER, &pass(PASSWORD)));
    assert!(
        matches!(no_tls, Err(NetError::StartTlsNotOffered)),
        "{no_tls:?}"
    );

    // Without the throwaway CA the certificate is not trusted.
    let untrusted = SmtpConfig {
        ca_pem: None,
        ..ok.clone()
    };
    let cert = run(SmtpSession::connect(&untrusted, USER, &pass(PASSWORD)));
    assert!(
        matches!(cert, Err(NetError::Certificate { .. })),
        "{cert:?}"
    );

    // Over the server's SIZE: refused before anything is sent.
    let too_large = run(async {
        let mut s = SmtpSession::connect(&ok, USER, &pass(PASSWORD))
            .await
            .unwrap();
        let limit = s.max_size().unwrap();
        let mut big = eml("big");
        big.resize(usize::try_from(limit).unwrap() + 10, b'x');
        s.submit(
            &format!("{USER}@{DOMAIN}"),
            &[format!("bob@{DOMAIN}")],
            &big,
        )
        .await
    });
    assert!(
        matches!(too_large, Err(NetError::MessageTooLarge { .. })),
        "{too_large:?}"
    );
}
