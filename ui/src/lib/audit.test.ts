import { describe, expect, it } from "vitest";
import { formatBytes, kindLabel, parseServer, verdict } from "./audit";
import type { AuditReport } from "./api";

describe("parseServer", () => {
  it("reads host and port", () => {
    expect(parseServer("imap.example.com:993", "tls")).toEqual({ host: "imap.example.com", port: 993 });
    expect(parseServer(" [::1]:1143 ", "tls")).toEqual({ host: "::1", port: 1143 });
  });
  it("defaults the port by security", () => {
    expect(parseServer("mail.example", "tls")).toEqual({ host: "mail.example", port: 993 });
    expect(parseServer("mail.example", "starttls")).toEqual({ host: "mail.example", port: 143 });
  });
  it("explains what is wrong", () => {
    expect(parseServer("", "tls")).toHaveProperty("error");
    expect(parseServer("h:70000", "tls")).toEqual({ error: "70000 is not a port number" });
    expect(parseServer("a:b:c", "tls")).toHaveProperty("error");
  });
});

function report(partial: Partial<AuditReport["totals"]>, findings = 0): AuditReport {
  return {
    format: "coffer-audit/3",
    coffer_version: "0.1.0",
    scanned_at: "2026-01-01T00:00:00Z",
    server: { host: "h", port: 993, security: "tls", certificate_sha256: null, user: "u" },
    structure: "sampled",
    totals: { total: 3, sealed: 3, plaintext: 0, other_encryption: 0, malformed_seal: 0, withheld: 0, ...partial },
    folders: [],
    findings: Array.from({ length: findings }, (_, i) => ({
      folder: "INBOX", uid: i, internaldate: "", size: 1, kind: "plaintext", detail: "",
      keyed_hash: "", hash_covers_whole_message: true,
    })),
    visible_metadata: {
      header_names: [], size_buckets: {}, earliest_date: null, latest_date: null,
      recipient_counts: {}, flags: {},
    },
    verification: null,
    clean: findings === 0 && (partial.sealed ?? 3) === (partial.total ?? 3) && !partial.plaintext,
    only_ciphertext: false,
    digest: "d",
  };
}

describe("verdict", () => {
  it("shows the engine's verdict as it is", () => {
    // The engine's word wins even where the counts look clean.
    const r = report({});
    expect(verdict({ ...r, clean: false }).ok).toBe(false);
    expect(verdict({ ...r, clean: true }).ok).toBe(true);
  });
  it("is clean only when every message is sealed and nothing was found", () => {
    expect(verdict(report({})).ok).toBe(true);
    expect(verdict(report({ sealed: 2, plaintext: 1 }, 1))).toEqual({
      ok: false,
      text: "1 finding(s): 1 of 3 messages are not well-formed seals.",
    });
    // A forgery found with the keys: all well-formed, still not clean.
    expect(verdict(report({}, 1)).ok).toBe(false);
  });
});

describe("what a report may claim", () => {
  it("says only ciphertext only for genuine seals opened with the key", () => {
    const keyless = verdict(report({}));
    expect(keyless.ok).toBe(true);
    expect(keyless.text).toBe(
      "All 3 messages are well-formed seals (structure sampled). They were not opened with the vault's key, so none is shown to be genuine.",
    );
    expect(keyless.text).not.toContain("ciphertext");
    const full = verdict({ ...report({}), structure: "full" });
    expect(full.text).toContain("(structure checked in full)");
    expect(full.text).not.toContain("ciphertext");
    const sample = { selected: 2, checked: 2, verified: 2, sampled: true };
    expect(verdict({ ...report({}), verification: sample }).text).not.toContain("ciphertext");
    const genuine = verdict({ ...report({}), only_ciphertext: true });
    expect(genuine).toEqual({
      ok: true,
      text: "All 3 messages are genuine seals, opened with the vault's key: the provider holds only ciphertext.",
    });
  });
});

describe("labels", () => {
  it("names kinds and sizes for people", () => {
    expect(kindLabel("forged_seal")).toBe("Forged seal");
    expect(kindLabel("new_kind")).toBe("new_kind");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(8192)).toBe("8.0 KiB");
    expect(formatBytes(3 * 1024 * 1024)).toBe("3.0 MiB");
  });
});
