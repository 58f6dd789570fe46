// Pure helpers for the Audit view: parsing the form and describing a report.
import type { AuditReport, Security } from "./api";

export interface AuditForm {
  server: string;
  user: string;
  password: string;
  security: Security;
  caFile: string;
}

/** Parses "host:port" (IPv6 as "[::1]:993"); defaults the port by security. */
export function parseServer(
  text: string,
  security: Security,
): { host: string; port: number } | { error: string } {
  const s = text.trim();
  if (!s) return { error: "Enter the IMAP server, e.g. imap.example.com:993" };
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) return { error: `"${s}" is not a host name with an optional :port` };
  const port = m[2] ? Number(m[2]) : security === "tls" ? 993 : 143;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return { error: `${m[2]} is not a port number` };
  }
  return { host: m[1], port };
}

/** The structure check's depth, in words. */
export function structureWords(report: AuditReport): string {
  return report.structure === "full" ? "structure checked in full" : "structure sampled";
}

/**
 * The verdict, from the engine's `clean` and `only_ciphertext` as they are.
 * "Only ciphertext" only for genuine seals (opened with the vault's key); a
 * keyless report says "well-formed seals" and what it checked.
 */
export function verdict(report: AuditReport): { ok: boolean; text: string } {
  const t = report.totals;
  if (report.only_ciphertext) {
    return {
      ok: true,
      text: `All ${t.total} messages are genuine seals, opened with the vault's key: the provider holds only ciphertext.`,
    };
  }
  if (report.clean) {
    const v = report.verification;
    const opened = v
      ? `${v.verified} of them, a random sample, were opened with the vault's key and are genuine.`
      : "They were not opened with the vault's key, so none is shown to be genuine.";
    return {
      ok: true,
      text: `All ${t.total} messages are well-formed seals (${structureWords(report)}). ${opened}`,
    };
  }
  const notSealed = t.total - t.sealed;
  return {
    ok: false,
    text: `${report.findings.length} finding(s): ${notSealed} of ${t.total} messages are not well-formed seals.`,
  };
}

const KIND_LABELS: Record<string, string> = {
  plaintext: "Plaintext",
  other_encryption: "Other encryption",
  malformed_seal: "Malformed seal",
  forged_seal: "Forged seal",
  unopenable_seal: "Cannot be opened",
  withheld: "Withheld by the server",
};

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
