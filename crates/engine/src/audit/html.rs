//! The audit report as a self-contained HTML page (no script, no remote loads).

use std::fmt::Write as _;

use super::AuditReport;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders `report` as HTML for people; the JSON stays the reference.
pub fn render_html(report: &AuditReport) -> String {
    let mut h = String::new();
    let verdict = report.headline();
    // Writing to a String cannot fail; results are ignored on purpose.
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>Coffer audit of {user}@{host}</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#1d2433}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ccd;padding:.25rem .6rem;text-align:left}}\
         .ok{{color:#1a7f37}}.bad{{color:#a12a2a}}code{{word-break:break-all}}</style></head><body>\
         <h1>Coffer audit</h1><p class=\"{cls}\"><strong>{verdict}</strong></p>\
         <p>Account <code>{user}</code> on <code>{host}:{port}</code> ({security}), scanned {at}.<br>\
         Server certificate SHA-256: <code>{fp}</code><br>Report digest: <code>{digest}</code></p>",
        user = esc(&report.server.user),
        host = esc(&report.server.host),
        port = report.server.port,
        security = esc(report.server.security.as_str()),
        at = esc(&report.scanned_at),
        fp = esc(report
            .server
            .certificate_sha256
            .as_deref()
            .unwrap_or("(no TLS)")),
        digest = esc(&report.digest),
        verdict = esc(&verdict),
        cls = if report.clean { "ok" } else { "bad" },
    );
    let t = &report.totals;
    let _ = write!(
        h,
        "<h2>Totals</h2><p>Well-formed seals: head and structure checked without a key ({}). \
         Genuine seals: opened with the vault's key (see below).</p>\
         <table><tr><th>messages</th><th>well-formed seals</th><th>plaintext</th>\
         <th>other encryption</th><th>malformed seals</th><th>withheld by the server</th></tr>\
         <tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>\
         <h2>Folders</h2><table><tr><th>folder</th>\
         <th>UIDVALIDITY</th><th>messages</th><th>well-formed seals</th></tr>",
        report.structure_words(),
        t.total,
        t.sealed,
        t.plaintext,
        t.other_encryption,
        t.malformed_seal,
        t.withheld
    );
    for f in &report.folders {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&f.name),
            f.uid_validity,
            f.counts.total,
            f.counts.sealed
        );
    }
    h.push_str("</table>");
    if report.verification.is_none() {
        h.push_str(
            "<h2>Genuine seals (opened with the vault's key)</h2><p>Not checked: this audit ran \
             without the vault's key. A well-formed seal may still carry something other than \
             ciphertext; only opening it shows that.</p>",
        );
    }
    if let Some(v) = &report.verification {
        let _ = write!(
            h,
            "<h2>Genuine seals (opened with the vault's key)</h2><p>{} of {} opened seals are genuine{}; \
             {} selected, {} withheld by the server.</p>",
            v.verified,
            v.checked,
            if v.sampled { " (random sample)" } else { "" },
            v.selected,
            v.selected.saturating_sub(v.checked)
        );
    }
    h.push_str("<h2>Messages that are not genuine seals</h2>");
    if report.findings.is_empty() {
        h.push_str("<p>None.</p>");
    } else {
        h.push_str(
            "<table><tr><th>folder</th><th>UID</th><th>date</th><th>size</th><th>kind</th>\
             <th>detail</th><th>SHA-256</th></tr>",
        );
        for f in &report.findings {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code>{}</td></tr>",
                esc(&f.folder),
                f.uid,
                esc(&f.internaldate),
                f.size,
                esc(&f.kind),
                esc(&f.detail),
                esc(&f.keyed_hash),
                if f.keyed_hash.is_empty() {
                    "(nothing read)"
                } else if f.hash_covers_whole_message {
                    ""
                } else {
                    " (first bytes)"
                }
            );
        }
        h.push_str("</table>");
    }
    let vm = &report.visible_metadata;
    let _ = write!(
        h,
        "<h2>What the provider still sees on sealed copies</h2><ul>\
         <li>Header fields: {}</li><li>Dates: {} to {}</li><li>Size buckets: {}</li>\
         <li>Flags: {}</li></ul></body></html>",
        esc(&vm.header_names.join(", ")),
        esc(vm.earliest_date.as_deref().unwrap_or("-")),
        esc(vm.latest_date.as_deref().unwrap_or("-")),
        vm.size_buckets
            .iter()
            .map(|(b, n)| format!("{b} B × {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        esc(&vm
            .flags
            .iter()
            .map(|(f, n)| format!("{f} × {n}"))
            .collect::<Vec<_>>()
            .join(", ")),
    );
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_from_the_server() {
        assert_eq!(esc("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
    }
}
