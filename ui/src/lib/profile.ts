// A provisioning profile in plain words, and the limits its policies put on
// the app's screens. The engine enforces every policy itself (docs/PROFILE.md);
// these only let a screen say so before the engine has to refuse.
import { MIN_PASSPHRASE_SCORE, type Profile, type ProfileServer } from "./api";
import { formatBytes, plural } from "./format";

/** zxcvbn's scores in words, as the strength meter shows them. */
export const STRENGTH_LABELS = ["Very weak", "Weak", "Fair", "Strong", "Very strong"] as const;

/** The organisation's name, or "your organisation" when the profile gives none. */
export function organisationName(profile: Profile | null | undefined): string {
  const name = profile?.organisation?.name?.trim();
  return name ? name : "your organisation";
}

/** The score a new passphrase needs: Coffer's own minimum, or the organisation's when higher. */
export function requiredScore(orgMinScore: number | null | undefined): number {
  return Math.min(4, Math.max(MIN_PASSPHRASE_SCORE, orgMinScore ?? 0));
}

/** The longest auto-lock time the profile allows (it allows no "never" then); null: no limit. */
export function autoLockCap(profile: Profile | null | undefined): number | null {
  return profile?.policy.auto_lock_minutes ?? null;
}

/**
 * Why the profile refuses `minutes` of auto-lock (0: never), in the engine's
 * words (`Vault::check_auto_lock`, as a sentence); null when it allows them.
 */
export function autoLockRefusal(minutes: number, profile: Profile | null | undefined): string | null {
  const cap = autoLockCap(profile);
  if (cap === null) return null;
  if (minutes === 0) return "Your organisation's profile requires auto-lock: it cannot be turned off.";
  if (minutes > cap) return `Your organisation's profile sets auto-lock (minutes) to at most ${cap}; ${minutes} is not allowed.`;
  return null;
}

/** One thing a profile sets; `fingerprint` is shown after the text, in monospace. */
export interface ProfileItem {
  key: "escrow" | "passphrase" | "auto-lock" | "unsealed" | "size" | "watch" | "imap" | "smtp" | "oauth";
  text: string;
  fingerprint?: string;
}

function server(s: ProfileServer): string {
  const security = s.security === "starttls" ? "STARTTLS" : "TLS";
  return `${s.host}:${s.port} (${security}${s.ca_file ? ", with the organisation's own certificate authority" : ""})`;
}

/** What `profile` sets, in plain words: the policies first, then the servers. */
export function profileItems(profile: Profile): ProfileItem[] {
  const org = organisationName(profile);
  const p = profile.policy;
  const items: ProfileItem[] = [];
  if (profile.escrow) {
    items.push({
      key: "escrow",
      text: `Escrow: every new seal is also encrypted to ${org}'s key. Fingerprint:`,
      fingerprint: profile.escrow.fingerprint,
    });
  }
  if (p.min_passphrase_score != null) {
    const score = requiredScore(p.min_passphrase_score);
    items.push({ key: "passphrase", text: `Passphrase strength at least ${score}/4 (“${STRENGTH_LABELS[score]}”).` });
  }
  if (p.auto_lock_minutes != null) {
    items.push({
      key: "auto-lock",
      text: `Locks itself after at most ${plural(p.auto_lock_minutes, "idle minute")}; auto-lock cannot be turned off.`,
    });
  }
  if (p.unsealed_folders.length) {
    items.push({ key: "unsealed", text: `Folders left unsealed: ${p.unsealed_folders.join(", ")}.` });
  }
  if (p.max_message_bytes != null) {
    items.push({ key: "size", text: `Messages larger than ${formatBytes(p.max_message_bytes)} are left unsealed.` });
  }
  if (p.watch_interval_seconds != null) {
    items.push({ key: "watch", text: `New mail is looked for at least every ${plural(p.watch_interval_seconds, "second")}.` });
  }
  if (profile.imap) items.push({ key: "imap", text: `Mail server: ${server(profile.imap)}.` });
  if (profile.smtp) items.push({ key: "smtp", text: `Sending server: ${server(profile.smtp)}.` });
  if (profile.oauth) {
    const provider = profile.oauth.provider === "google" ? "Google" : "Microsoft";
    items.push({ key: "oauth", text: `Signing in with ${provider} uses ${org}'s own app registration.` });
  }
  return items;
}
