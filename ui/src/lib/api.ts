// Typed wrappers over the Tauri commands. The only module that calls invoke().
import { invoke } from "@tauri-apps/api/core";

export type VaultState = "absent" | "present";

export interface VaultStatus {
  dir: string;
  state: VaultState;
  version: string;
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
  "locked",
  "not_supported",
  "not_clean",
  "incomplete",
  "login_refused",
  "sign_in_again",
  "oauth_client_missing",
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
    case "sign_in_again":
      return "The provider no longer accepts this account's sign-in: sign in again (Settings → Accounts).";
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

/** Subscribes to a backend event's payloads; returns the unsubscribe function. */
async function listenTo<T>(event: string, cb: (payload: T) => void): Promise<() => void> {
  const { listen } = await import("@tauri-apps/api/event");
  return listen<T>(event, (e) => cb(e.payload));
}

/** Subscribes to audit progress; returns the unsubscribe function. */
export function onAuditProgress(cb: (p: AuditProgress) => void): Promise<() => void> {
  return listenTo("audit-progress", cb);
}

// ---------------------------------------------------------------------------
// The mail client: vault lifecycle, accounts, sealing, reading, search,
// settings. Each function is one Tauri command in src-tauri/src/*.rs; the
// argument names are the command's (camelCase over IPC).
// ---------------------------------------------------------------------------

/** Whether the app holds an unlocked vault. */
export type Session = "absent" | "locked" | "unlocked";

/** The demo mailbox `scripts/run-app.sh` starts when there is no vault. */
export interface DemoAccount {
  host: string;
  port: number;
  security: Security;
  user: string;
  password: string;
  caFile: string;
  /** Its SMTP submission server, when it has one. */
  smtpHost?: string | null;
  smtpPort?: number | null;
}

export interface SessionInfo {
  session: Session;
  vault: VaultStatus;
  demo: DemoAccount | null;
  /** Minutes of inactivity before the app locks itself (0: never), within the profile's maximum. */
  autoLockMinutes: number;
  /** The organisation escrow recipient every new seal also goes to (only while unlocked; null: off). */
  escrow: EscrowInfo | null;
  /**
   * The provisioning profile: the vault's own when unlocked; with no vault
   * yet (session "absent"), the one installed on this machine for the first run.
   */
  profile: Profile | null;
}

/** An organisation escrow recipient: seals also encrypted to it open with the organisation's key. */
export interface EscrowInfo {
  /** The organisation's age recipient (`age1…`). */
  recipient: string;
  /** Its fingerprint, in eight groups of four hex digits. */
  fingerprint: string;
}

// A provisioning profile (docs/PROFILE.md), as its TOML is written: snake_case keys.

/** A server a profile names. */
export interface ProfileServer {
  host: string;
  port: number;
  security: "tls" | "starttls";
  ca_file: string | null;
}

/** The organisation's own OAuth client registration. */
export interface ProfileOAuth {
  provider: OAuthProviderId;
  client_id: string;
  tenant: string | null;
  client_secret: string | null;
}

/** Policies the user cannot weaken; each unset one (null, empty) leaves the choice free. */
export interface ProfilePolicy {
  /** The lowest zxcvbn score (0–4) a new passphrase may have (never below Coffer's own, 3). */
  min_passphrase_score: number | null;
  /** The app locks itself after at most this many idle minutes (and never "never"). */
  auto_lock_minutes: number | null;
  /** Folders sealing leaves as they are. */
  unsealed_folders: string[];
  /** Originals larger than this are left unsealed. */
  max_message_bytes: number | null;
  /** The watch looks at every folder at least this often. */
  watch_interval_seconds: number | null;
}

export interface Profile {
  organisation: { name: string } | null;
  imap: ProfileServer | null;
  smtp: ProfileServer | null;
  escrow: EscrowInfo | null;
  oauth: ProfileOAuth | null;
  policy: ProfilePolicy;
}

export function sessionInfo(): Promise<SessionInfo> {
  return invoke<SessionInfo>("session_info");
}

/** Coffer's own minimum zxcvbn score for a new passphrase (`coffer_core::passphrase::MIN_SCORE`). */
export const MIN_PASSPHRASE_SCORE = 3;

/**
 * zxcvbn's verdict; `acceptable` is against Coffer's own minimum (score < 3
 * is refused). A profile's `min_passphrase_score` may ask for more: the engine
 * refuses below it too, so the meter applies it (StrengthMeter's `orgMinScore`).
 */
export interface Strength {
  score: 0 | 1 | 2 | 3 | 4;
  acceptable: boolean;
  warning: string | null;
  suggestions: string[];
  /** e.g. "centuries", "3 hours": an offline attack against a slow hash. */
  crackTime: string;
}

export function passphraseStrength(passphrase: string): Promise<Strength> {
  return invoke<Strength>("passphrase_strength", { passphrase });
}

/**
 * Starts creating a vault: returns the recovery key to show once. Nothing is
 * on disk until `confirmVault` gets the words the user re-typed.
 */
export interface PendingVault {
  recoveryKey: string;
  /** 1-based positions of the groups the user must re-type to confirm. */
  confirmGroups: number[];
}

export function createVault(passphrase: string): Promise<PendingVault> {
  return invoke<PendingVault>("create_vault", { passphrase });
}

/** Confirms with the re-typed groups (in `confirmGroups` order); the vault is then created and unlocked. */
export function confirmVault(groups: string[]): Promise<void> {
  return invoke<void>("confirm_vault", { groups });
}

export function cancelVault(): Promise<void> {
  return invoke<void>("cancel_vault");
}

export function recoverVault(recoveryKey: string, passphrase: string): Promise<void> {
  return invoke<void>("recover_vault", { recoveryKey, passphrase });
}

export function unlock(passphrase: string): Promise<void> {
  return invoke<void>("unlock", { passphrase });
}

/** Locks the UI; sealing of new mail goes on with the keys the watch holds. */
export function lock(): Promise<void> {
  return invoke<void>("lock");
}

/** Locks and stops sealing: the engine drops every key. */
export function lockAndStop(): Promise<void> {
  return invoke<void>("lock_and_stop");
}

// Accounts -------------------------------------------------------------------

export interface Preset {
  id: string;
  name: string;
  imapHost: string;
  imapPort: number;
  security: Security;
  smtpHost: string | null;
  smtpPort: number | null;
  /** Shown under the form, e.g. "Use an app password". */
  note: string | null;
}

export function presets(): Promise<Preset[]> {
  return invoke<Preset[]>("presets");
}

export interface AccountRequest {
  name: string;
  host: string;
  port: number;
  security: Security;
  user: string;
  password: string;
  caFile: string | null;
  smtpHost: string | null;
  smtpPort: number | null;
}

export interface AccountInfo {
  name: string;
  imap_host: string;
  imap_port: number;
  username: string;
  security: Security;
  ca_file: string | null;
  smtp: string | null;
  /** The OAuth provider it signs in with; null: a password. */
  oauth: "microsoft" | "google" | "custom" | null;
  created_at: number;
}

/** How a run removes plaintext originals once their sealed copies are verified. */
export type Deletion =
  /** UID EXPUNGE of exactly the originals' UIDs (UIDPLUS). */
  | "uid_expunge"
  /** No UIDPLUS but MOVE: moved to Coffer's own folder and expunged there after a check. */
  | "move_to_purge"
  /** Originals kept beside their sealed copies (the app refuses such an account). */
  | "keep";

/** One line of the capability report (serialised without renaming: snake_case). */
export interface CapabilityLine {
  /** e.g. "UIDPLUS", "IDLE", "Gmail (X-GM-EXT-1)". */
  capability: string;
  offered: boolean;
  /** What Coffer does, given the answer. */
  coffer_does: string;
}

export interface AccountTest {
  tls: boolean;
  capabilities: string[];
  uidplus: boolean;
  folders: string[];
  deletion: Deletion;
  /** What the server offers and what Coffer does with it, line by line. */
  report: CapabilityLine[];
}

export function accounts(): Promise<AccountInfo[]> {
  return invoke<AccountInfo[]>("accounts");
}

/**
 * Logs in without saving anything. Errors by code: login_refused,
 * certificate_untrusted, network, capability_missing (STARTTLS or what safe
 * deletion needs).
 */
export function testAccount(request: AccountRequest): Promise<AccountTest> {
  return invoke<AccountTest>("test_account", { request });
}

export function addAccount(request: AccountRequest): Promise<void> {
  return invoke<void>("add_account", { request });
}

export function removeAccount(name: string): Promise<void> {
  return invoke<void>("remove_account", { name });
}

export type OAuthProviderId = "microsoft" | "google";

/** A "Sign in with …" button: the provider's servers, and what stops it working yet. */
export interface OAuthProvider {
  provider: OAuthProviderId;
  label: string;
  imapHost: string;
  imapPort: number;
  smtpHost: string;
  smtpPort: number;
  /** No client ID is configured, in plain words (and how to get one); null: signing in can work. */
  missing: string | null;
}

export function oauthProviders(): Promise<OAuthProvider[]> {
  return invoke<OAuthProvider[]>("oauth_providers");
}

export interface OAuthAccountRequest {
  name: string;
  provider: OAuthProviderId;
  user: string;
  /** A client ID typed in (a firm's own app registration); null: the configured one. */
  clientId: string | null;
  /** Microsoft's tenant for that client ID; null: the configured one or "common". */
  tenant: string | null;
}

/**
 * Signs in in the system browser (waiting up to 5 minutes for it), then tests
 * the connection, adds the account and starts the watch. Errors by code:
 * oauth_client_missing, login_refused, sign_in_again, cancelled (the browser
 * step timed out), network, capability_missing.
 */
export function addOAuthAccount(request: OAuthAccountRequest): Promise<AccountTest> {
  return invoke<AccountTest>("add_oauth_account", { request });
}

/** Signs in again (in the system browser) to an OAuth account whose sign-in was revoked or expired. */
export async function signInAgain(name: string): Promise<void> {
  await invoke<null>("sign_in_again", { name });
}

// Sealing --------------------------------------------------------------------

export interface FolderPlan {
  name: string;
  toSeal: number;
  alreadySealed: number;
  bytes: number;
}

export interface SealPlan {
  account: string;
  folders: FolderPlan[];
  messages: number;
  bytes: number;
  /** A rough estimate from the sizes (seconds). */
  estimateSeconds: number;
  /** Why originals would be kept, when they would (no UIDPLUS). */
  warnings: string[];
}

/** A dry run: what sealing `account` would do. */
export function sealPlan(account: string): Promise<SealPlan> {
  return invoke<SealPlan>("seal_plan", { account });
}

export interface FolderProgress {
  name: string;
  total: number;
  done: number;
  bytesTotal: number;
  bytesDone: number;
  stopped: string | null;
}

/** On the `seal-progress` event. */
export interface SealProgress {
  account: string;
  state: "planning" | "running" | "pausing" | "paused" | "cancelling" | "finished";
  folders: FolderProgress[];
  done: number;
  total: number;
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second over the run so far. */
  rate: number;
  etaSeconds: number | null;
}

export interface SealResult {
  account: string;
  sealed: number;
  alreadySealed: number;
  kept: number;
  failed: { folder: string; uid: number; reason: string }[];
  warnings: string[];
  seconds: number;
  cancelled: boolean;
}

/** Seals every folder; resolves when the run ends (finished, or cancelled between batches). */
export function sealStart(account: string): Promise<SealResult> {
  return invoke<SealResult>("seal_start", { account });
}

/** Pauses after the batches in flight are safely done; the account stays locked to this app. */
export function sealPause(): Promise<void> {
  return invoke<void>("seal_pause");
}

export function sealResume(): Promise<void> {
  return invoke<void>("seal_resume");
}

/** Stops after the batches in flight are safely done. */
export function sealCancel(): Promise<void> {
  return invoke<void>("seal_cancel");
}

export function onSealProgress(cb: (p: SealProgress) => void): Promise<() => void> {
  return listenTo("seal-progress", cb);
}

/** The watch that seals new mail while the app is open (on the `watch-status` event too). */
export interface WatchStatus {
  account: string | null;
  state: "up_to_date" | "sealing" | "offline" | "stopped";
  /** Messages being sealed now (state "sealing"). */
  sealing: number;
  /** Seconds until the next try (state "offline"). */
  retryInSeconds: number | null;
  /** Why it stopped or is offline. */
  reason: string | null;
  /** The vault is locked but the watch still holds its keys. */
  locked: boolean;
  /** Messages sealed since the app started. */
  sealedTotal: number;
}

export function watchStatus(): Promise<WatchStatus> {
  return invoke<WatchStatus>("watch_status");
}

export function onWatchStatus(cb: (s: WatchStatus) => void): Promise<() => void> {
  return listenTo("watch-status", cb);
}

// Reading --------------------------------------------------------------------

export interface Folder {
  account: string;
  name: string;
  total: number;
  unread: number;
}

export function folders(): Promise<Folder[]> {
  return invoke<Folder[]>("folders");
}

/** One row of the message list. */
export interface MessageRow {
  id: number;
  date: string;
  from: string;
  subject: string;
  flags: string[];
  hasAttachment: boolean;
  thread: string;
  /** With `threads`: messages in this row's conversation (the row is its newest). */
  threadSize: number;
}

export interface MessagePage {
  total: number;
  rows: MessageRow[];
}

/** Rows `offset..offset+limit` of a folder, newest first (conversations' newest with `threads`). */
export function messages(
  account: string,
  folder: string,
  offset: number,
  limit: number,
  threads: boolean,
): Promise<MessagePage> {
  return invoke<MessagePage>("messages", { account, folder, offset, limit, threads });
}

export interface SearchHit {
  id: number;
  account: string;
  folder: string;
  date: string;
  from: string;
  to: string;
  subject: string;
  flags: string[];
  /** Matched words between `[` and `]`. */
  snippet: string;
  attachments: string[];
  thread: string;
}

export interface Attachment {
  name: string | null;
  type: string;
  size: number;
  inline: boolean;
}

export type Trust = "genuine" | "unverified" | "wrapped";

/** The reader's view of a message: headers and text from the index. */
export interface MessageDetail {
  id: number;
  account: string;
  folder: string;
  date: string;
  from: string;
  to: string;
  cc: string;
  /** Only in sent mail and drafts. */
  bcc: string;
  subject: string;
  flags: string[];
  messageId: string;
  thread: string;
  /** Shown in the app's chrome only, never inside the message frame. */
  trust: Trust;
  /** The folder the seal names, when the copy was found elsewhere. */
  movedFrom: string | null;
  text: string;
  /** Indexed like the attachment commands' `index`. */
  attachments: Attachment[];
}

export function message(id: number): Promise<MessageDetail> {
  return invoke<MessageDetail>("message", { id });
}

/** A body ready for the sandboxed frame. */
export interface SafeBody {
  /**
   * A whole document for `<iframe sandbox srcdoc>`: sanitised HTML (or the
   * plain text, escaped, in a <pre>), with its own CSP; `highlight` words
   * wrapped in <mark>.
   */
  html: string;
  /** The message had an HTML body (false: the document shows its text). */
  isHtml: boolean;
  /** Remote images, stylesheets, fonts and frames removed. */
  blockedRemote: number;
  /** Links found, in order: `<a>` elements carry `data-link="N"` and no href. */
  links: string[];
}

export function messageBody(id: number, highlight: string[] = []): Promise<SafeBody> {
  return invoke<SafeBody>("message_body", { id, highlight });
}

/** Saves attachment `index` into the Downloads folder; returns the path written. */
export function saveAttachment(id: number, index: number): Promise<string> {
  return invoke<string>("save_attachment", { id, index });
}

/** Saves attachment `index` (as `saveAttachment`) and opens it with the system's app. */
export function openAttachment(id: number, index: number): Promise<string> {
  return invoke<string>("open_attachment", { id, index });
}

export type Mark = "read" | "unread" | "flag" | "unflag";

/** Returns the message's flags after the change. */
export function mark(id: number, marks: Mark[]): Promise<string[]> {
  return invoke<string[]>("mark", { id, marks });
}

export function moveMessage(id: number, folder: string): Promise<void> {
  return invoke<void>("move_message", { id, folder });
}

/** Moves to Trash (or deletes for good when already there). */
export function deleteMessage(id: number): Promise<void> {
  return invoke<void>("delete_message", { id });
}

/** The query language of `coffer search` (docs/SEARCH.md); a malformed query is a bad_request naming the position. */
export function search(query: string, limit: number): Promise<SearchHit[]> {
  return invoke<SearchHit[]>("search", { query, limit });
}

/** Opens an http(s) or mailto link in the system browser; call only after the user confirmed the target. */
export function openLink(url: string): Promise<void> {
  return invoke<void>("open_link", { url });
}

// Settings -------------------------------------------------------------------

export interface Settings {
  autoLockMinutes: number;
  bodyCacheBytes: number;
  bodyCacheUsedBytes: number;
}

export function settings(): Promise<Settings> {
  return invoke<Settings>("settings");
}

export function setSettings(autoLockMinutes: number, bodyCacheBytes: number): Promise<Settings> {
  return invoke<Settings>("set_settings", { autoLockMinutes, bodyCacheBytes });
}

export function changePassphrase(current: string, next: string): Promise<void> {
  return invoke<void>("change_passphrase", { current, next });
}

/** The recovery key again, after the passphrase. */
export function showRecoveryKey(passphrase: string): Promise<string> {
  return invoke<string>("show_recovery_key", { passphrase });
}

// Sending -----------------------------------------------------------------------

/** A file attached in the compose screen: its bytes as base64. */
export interface ComposeAttachment {
  name: string;
  type: string;
  /** Base64 of the file's bytes. */
  data: string;
}

/** What the compose screen sends (and saves as a draft). */
export interface ComposeRequest {
  /** null: the only account. */
  account: string | null;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text: string;
  html: string | null;
  attachments: ComposeAttachment[];
  /** Reply to this message (threading headers; the text already holds the quote). */
  replyTo: number | null;
  /** Forward this message's attachments with it. */
  forward: number | null;
  /** The saved draft this message replaces (deleted once sent or saved again). */
  draftId: number | null;
}

export interface OutboxRecipient {
  address: string;
  state: "pending" | "accepted" | "rejected";
  /** The server's reply (why it was refused or deferred). */
  reply: string;
}

/** What a send did; also each outbox entry. */
export interface SendReport {
  id: number;
  message_id: string;
  subject: string;
  /** queued: waiting to be retried; sent; failed: refused for good (see recipients). */
  state: "queued" | "sent" | "failed";
  recipients: OutboxRecipient[];
  error: string | null;
  /** Where the sealed copy went, once stored. */
  sent_folder: string | null;
}

/** Sends (queued in the outbox first; a sealed copy goes to Sent). */
export function sendMessage(request: ComposeRequest): Promise<SendReport> {
  return invoke<SendReport>("send_message", { request });
}

/** Saves the message as a sealed draft in Drafts (replacing `request.draftId`); returns the new draft's id. */
export function saveDraft(request: ComposeRequest): Promise<number> {
  return invoke<number>("save_draft", { request });
}

/** A compose form filled in for a reply, a reply to all, a forward, or to resume a draft. */
export function composeFrom(kind: "reply" | "reply_all" | "forward" | "draft", id: number): Promise<ComposeRequest> {
  return invoke<ComposeRequest>("compose_from", { kind, id });
}

export function outbox(): Promise<SendReport[]> {
  return invoke<SendReport[]>("outbox");
}

/** Tries every queued message now. */
export function outboxRetry(): Promise<SendReport[]> {
  return invoke<SendReport[]>("outbox_retry");
}

export function outboxDiscard(id: number): Promise<void> {
  return invoke<void>("outbox_discard", { id });
}
