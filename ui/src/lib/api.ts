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

/** The error shape every command returns: a stable code and a message. */
export interface CommandError {
  code: string;
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

/** Describes any thrown value for display. */
export function describeError(e: unknown): string {
  if (isCommandError(e)) return e.message;
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
}

export interface Counts {
  total: number;
  sealed: number;
  plaintext: number;
  other_encryption: number;
  malformed_seal: number;
}

export interface Finding {
  folder: string;
  uid: number;
  internaldate: string;
  size: number;
  kind: string;
  detail: string;
  sha256: string;
  hash_covers_whole_message: boolean;
}

export interface AuditReport {
  format: string;
  coffer_version: string;
  scanned_at: string;
  server: {
    host: string;
    port: number;
    security: string;
    certificate_sha256: string | null;
    user: string;
  };
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
  verification: { checked: number; verified: number; sampled: boolean } | null;
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
