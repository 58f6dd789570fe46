// Typed wrappers over the Tauri commands. The only module that calls invoke().
import { invoke } from "@tauri-apps/api/core";

export type VaultState = "absent" | "present";

export interface VaultStatus {
  dir: string;
  state: VaultState;
  version: string;
}

export interface AppInfo {
  product: string;
  vault: VaultStatus;
}

/**
 * The engine's error codes (`Code` in crates/engine/src/error.rs), the same
 * strings the CLI prints and docs/CLI.md lists. A Rust test in src-tauri fails
 * when this list and the engine's drift apart.
 */
export const ERROR_CODES = [
  "wrong_passphrase",
  "passphrase_rejected",
  "vault_missing",
  "vault_exists",
  "vault_damaged",
  "bad_recovery_key",
  "account_exists",
  "no_such_account",
  "account_busy",
  "would_overwrite",
  "bad_request",
  "cancelled",
  "not_supported",
  "not_clean",
  "incomplete",
  "login_refused",
  "certificate_untrusted",
  "capability_missing",
  "folder_changed",
  "network",
  "server",
  "failed",
  "io",
  "internal",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The error shape every command returns: a stable code and a message. */
export interface CommandError {
  code: ErrorCode;
  message: string;
}

export function isCommandError(e: unknown): e is CommandError {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as CommandError).code === "string" &&
    typeof (e as CommandError).message === "string"
  );
}

/** What a person can do about an error, by its code (none when the message says it all). */
export function errorHint(code: ErrorCode): string | null {
  switch (code) {
    case "wrong_passphrase":
      return "Check the passphrase and try again.";
    case "login_refused":
      return "The server refused the login: check the user name and password (some providers need an app password).";
    case "certificate_untrusted":
      return "The server's certificate is not trusted. If your organisation runs its own certificate authority, give its CA file.";
    case "capability_missing":
      return "The server lacks a feature Coffer needs to work safely here.";
    case "network":
      return "The server could not be reached: check the host, the port and your connection.";
    case "account_busy":
      return "Another Coffer process is sealing this account; wait for it to finish.";
    default:
      return null;
  }
}

/** Describes any thrown value for display: the message, then what to do about it. */
export function describeError(e: unknown): string {
  if (isCommandError(e)) {
    const hint = errorHint(e.code);
    return hint ? `${e.message} — ${hint}` : e.message;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}

export function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>("app_info");
}

export type Security = "tls" | "starttls" | "insecure-loopback";

export interface AuditRequest {
  host: string;
  port: number;
  user: string;
  password: string;
  security: Security;
  caFile: string | null;
  folders: string[];
  /** Check every byte of every seal's structure (default: sampled). */
  full?: boolean;
}

export interface Counts {
  total: number;
  sealed: number;
  plaintext: number;
  other_encryption: number;
  malformed_seal: number;
  /** Listed by the server but not returned on FETCH: never classified. */
  withheld: number;
}

export interface Finding {
  folder: string;
  uid: number;
  internaldate: string;
  size: number;
  kind: string;
  detail: string;
  keyed_hash: string;
  hash_covers_whole_message: boolean;
}

export interface AuditReport {
  format: string;
  coffer_version: string;
  scanned_at: string;
  server: {
    host: string;
    port: number;
    security: Security;
    certificate_sha256: string | null;
    user: string;
  };
  /** How much of each seal the keyless structure check read. */
  structure: "sampled" | "full";
  totals: Counts;
  folders: { name: string; uid_validity: number; counts: Counts }[];
  findings: Finding[];
  visible_metadata: {
    header_names: string[];
    size_buckets: Record<string, number>;
    earliest_date: string | null;
    latest_date: string | null;
    recipient_counts: Record<string, number>;
    flags: Record<string, number>;
  };
  verification: { selected: number; checked: number; verified: number; sampled: boolean } | null;
  /** The engine's one definition of "clean": show it, never recompute it. */
  clean: boolean;
  /** Clean, and every seal opened with the vault's key and genuine: the
   * only report that may say "only ciphertext". */
  only_ciphertext: boolean;
  digest: string;
}

export interface AuditProgress {
  phase: "planned" | "scanning" | "verifying";
  done: number;
  total: number;
  folder: string | null;
}

export function runAudit(request: AuditRequest): Promise<AuditReport> {
  return invoke<AuditReport>("run_audit", { request });
}

export function exportAudit(format: "json" | "html"): Promise<string> {
  return invoke<string>("export_audit", { format });
}

/** Subscribes to audit progress; returns the unsubscribe function. */
export async function onAuditProgress(cb: (p: AuditProgress) => void): Promise<() => void> {
  const { listen } = await import("@tauri-apps/api/event");
  return listen<AuditProgress>("audit-progress", (e) => cb(e.payload));
}
