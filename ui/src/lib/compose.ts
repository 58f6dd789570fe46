// Pure helpers of the compose screen: address lists as typed, attachments as
// base64, and the blank request a new message starts from.
import type { ComposeRequest, OutboxRecipient, SendReport } from "./api";

/**
 * The addresses in a field as typed: separated by commas (or semicolons),
 * trimmed, empties dropped. A comma inside a quoted display name
 * (`"Doe, Jane" <jane@example.com>`), an angle-bracket address or a comment
 * does not separate.
 */
export function splitAddresses(text: string): string[] {
  const out: string[] = [];
  let part = "";
  let quoted = false;
  let angle = 0;
  let comment = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      part += ch;
      if (ch === "\\" && i + 1 < text.length) part += text[++i];
      else if (ch === '"') quoted = false;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === "<") angle++;
    else if (ch === ">" && angle > 0) angle--;
    else if (ch === "(") comment++;
    else if (ch === ")" && comment > 0) comment--;
    else if ((ch === "," || ch === ";") && angle === 0 && comment === 0) {
      out.push(part);
      part = "";
      continue;
    }
    part += ch;
  }
  out.push(part);
  return out.map((a) => a.trim()).filter((a) => a.length > 0);
}

/** A field's text for a list of addresses (the reverse of `splitAddresses`). */
export function joinAddresses(list: readonly string[]): string {
  return list.join(", ");
}

/** The address part of an entry: what is between < and >, or the whole entry. */
function addrSpec(entry: string): string {
  const m = /<([^<>]*)>\s*$/.exec(entry);
  return (m ? m[1] : entry).trim();
}

/** The entries that cannot be an address (no `local@domain` in them). */
export function badAddresses(list: readonly string[]): string[] {
  return list.filter((a) => !/^[^\s@]+@[^\s@]+$/.test(addrSpec(a)));
}

/** The bytes a base64 string decodes to. */
export function base64Size(data: string): number {
  const clean = data.replace(/[^A-Za-z0-9+/=]/g, "");
  const pad = clean.endsWith("==") ? 2 : clean.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor((clean.length * 3) / 4) - pad);
}

/** A file's bytes as base64 (read in the browser; nothing leaves it until sent). */
export function readFileBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(reader.error ?? new Error("The file could not be read."));
    reader.onload = () => {
      const url = String(reader.result ?? "");
      // A data: URL, "data:<type>;base64,<data>".
      resolve(url.slice(url.indexOf(",") + 1));
    };
    reader.readAsDataURL(file);
  });
}

/** The form a new message starts from. */
export function blankRequest(account: string | null = null): ComposeRequest {
  return {
    account,
    to: [],
    cc: [],
    bcc: [],
    subject: "",
    text: "",
    html: null,
    attachments: [],
    replyTo: null,
    forward: null,
    draftId: null,
  };
}

/** The recipients the server refused for good. */
export function refused(report: SendReport): OutboxRecipient[] {
  return report.recipients.filter((r) => r.state === "rejected");
}

/** "10:42" in the user's locale. */
export function formatClock(d: Date): string {
  return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}
