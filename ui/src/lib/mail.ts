// Pure helpers of the mail view: folder order, list rows, dates, search
// snippets and query words, and what to warn about a link's target.
import type { Folder, MessageRow, SearchHit } from "./api";

// Folders ----------------------------------------------------------------------

export type FolderKind = "inbox" | "drafts" | "sent" | "archive" | "junk" | "trash";

/** The special folders after INBOX, in the order the folder list shows them. */
export const SPECIAL_ORDER: readonly FolderKind[] = ["inbox", "drafts", "sent", "archive", "junk", "trash"];

const SPECIAL_NAMES: Record<string, FolderKind> = {
  drafts: "drafts",
  draft: "drafts",
  sent: "sent",
  "sent mail": "sent",
  "sent items": "sent",
  "sent messages": "sent",
  archive: "archive",
  archives: "archive",
  "all mail": "archive",
  junk: "junk",
  spam: "junk",
  "junk mail": "junk",
  "junk e-mail": "junk",
  "junk email": "junk",
  "bulk mail": "junk",
  trash: "trash",
  bin: "trash",
  "deleted items": "trash",
  "deleted messages": "trash",
};

/**
 * What a folder is for, by its name: INBOX, or the last part of a path
 * ("[Gmail]/Sent Mail", "INBOX.Trash") naming a well-known folder. The
 * contract's `Folder` carries no special-use attribute, so names are all there is.
 */
export function folderKind(name: string): FolderKind | null {
  if (name.toUpperCase() === "INBOX") return "inbox";
  const last = name.split(/[/.]/).pop() ?? name;
  return SPECIAL_NAMES[last.trim().toLowerCase()] ?? null;
}

/** The name a person sees: "Inbox" for INBOX, the server's name otherwise. */
export function folderLabel(name: string): string {
  return name.toUpperCase() === "INBOX" ? "Inbox" : name;
}

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

/** INBOX first, then the special folders (drafts, sent, archive, junk, trash), then the rest alphabetically. */
export function compareFolders(a: string, b: string): number {
  const ka = folderKind(a);
  const kb = folderKind(b);
  const ra = ka ? SPECIAL_ORDER.indexOf(ka) : SPECIAL_ORDER.length;
  const rb = kb ? SPECIAL_ORDER.indexOf(kb) : SPECIAL_ORDER.length;
  if (ra !== rb) return ra - rb;
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

export interface FolderGroup {
  account: string;
  folders: Folder[];
}

/** Folders grouped by account (accounts in the order given), each group sorted by `compareFolders`. */
export function groupFolders(folders: readonly Folder[]): FolderGroup[] {
  const groups = new Map<string, Folder[]>();
  for (const f of folders) {
    const list = groups.get(f.account);
    if (list) list.push(f);
    else groups.set(f.account, [f]);
  }
  return [...groups].map(([account, list]) => ({
    account,
    folders: list.slice().sort((a, b) => compareFolders(a.name, b.name)),
  }));
}

/** The folder to open first: the first account's INBOX, else its first folder. */
export function defaultFolder(folders: readonly Folder[]): Folder | null {
  const groups = groupFolders(folders);
  return groups[0]?.folders[0] ?? null;
}

// Rows -------------------------------------------------------------------------

/** A row of the message list: a folder's row, or a search hit with its snippet and place. */
export interface ListRow extends MessageRow {
  snippet?: string;
  account?: string;
  folder?: string;
}

/** Rows `offset..offset+limit` of what a message list shows, with how many there are in all. */
export type PageLoader = (offset: number, limit: number) => Promise<{ total: number; rows: ListRow[] }>;

export const SEEN = "\\Seen";
export const FLAGGED = "\\Flagged";

export function isUnread(flags: readonly string[]): boolean {
  return !flags.includes(SEEN);
}

export function isFlagged(flags: readonly string[]): boolean {
  return flags.includes(FLAGGED);
}

export function hitToRow(hit: SearchHit): ListRow {
  return {
    id: hit.id,
    date: hit.date,
    from: hit.from,
    subject: hit.subject,
    flags: hit.flags,
    hasAttachment: hit.attachments.length > 0,
    thread: hit.thread,
    threadSize: 1,
    snippet: hit.snippet,
    account: hit.account,
    folder: hit.folder,
  };
}

// Dates and sizes -----------------------------------------------------------------

/** A list's date: the time today, "5 Mar" this year, "5 Mar 2023" before. */
// One formatter each, made once: `toLocale…String(undefined, options)`
// builds a new Intl.DateTimeFormat per call, which costs a frame's worth of
// time over a screen of rows while scrolling.
let formats: { time: Intl.DateTimeFormat; day: Intl.DateTimeFormat; year: Intl.DateTimeFormat } | null = null;

function shortFormats() {
  formats ??= {
    time: new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" }),
    day: new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" }),
    year: new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" }),
  };
  return formats;
}

export function formatShortDate(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const f = shortFormats();
  if (d.toDateString() === now.toDateString()) return f.time.format(d);
  if (d.getFullYear() === now.getFullYear()) return f.day.format(d);
  return f.year.format(d);
}

/** The reader's date: day, date and time in the user's locale. */
export function formatLongDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: "full", timeStyle: "short" });
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

// Search -------------------------------------------------------------------------

export interface Segment {
  text: string;
  mark: boolean;
}

/** Splits a search snippet into plain text and the matched words the engine put between `[` and `]`. */
export function parseSnippet(snippet: string): Segment[] {
  const out: Segment[] = [];
  const re = /\[([^[\]]*)\]/g;
  let last = 0;
  for (let m = re.exec(snippet); m; m = re.exec(snippet)) {
    if (m.index > last) out.push({ text: snippet.slice(last, m.index), mark: false });
    if (m[1]) out.push({ text: m[1], mark: true });
    last = m.index + m[0].length;
  }
  if (last < snippet.length) out.push({ text: snippet.slice(last), mark: false });
  return out;
}

/** Fields whose value is text to find (and so to highlight). */
const TEXT_FIELDS = new Set(["from", "to", "cc", "subject", "filename"]);
/** Fields whose value is not text of the message: never highlighted. */
const FILTER_FIELDS = new Set([
  "in", "has", "is", "before", "after", "newer_than", "older_than", "larger", "smaller",
]);

/**
 * The plain words of a query (docs/CLI.md "Searching"), for the reader to
 * highlight: words, phrases' words, prefixes without `*`, and the text of
 * from:/to:/cc:/subject:/filename:; not operators, negated terms or filters
 * (in:, is:, before:, …).
 */
export function queryWords(query: string): string[] {
  const tokens: { text: string; negated: boolean }[] = [];
  const re = /(-?)(?:([\p{L}\p{N}_]+):)?("([^"]*)"?|[^\s()"]+)|[()]/gu;
  for (let m = re.exec(query); m; m = re.exec(query)) {
    if (m[0] === "(" || m[0] === ")") continue;
    const [, neg, field, , phrase] = m;
    const value = phrase ?? m[3];
    if (field) {
      const f = field.toLowerCase();
      if (FILTER_FIELDS.has(f)) {
        tokens.push({ text: "", negated: true });
        continue;
      }
      if (!TEXT_FIELDS.has(f)) {
        // An unknown name:value is an ordinary word.
        tokens.push({ text: `${field}:${value}`, negated: !!neg });
        continue;
      }
    }
    tokens.push({ text: value, negated: !!neg });
  }
  const words: string[] = [];
  let not = false;
  for (const t of tokens) {
    if (!t.negated && (t.text === "AND" || t.text === "OR")) continue;
    if (!t.negated && t.text === "NOT") {
      not = true;
      continue;
    }
    const skip = not || t.negated;
    not = false;
    if (skip) continue;
    for (const w of t.text.split(/[^\p{L}\p{M}\p{N}_]+/u)) {
      if (w && !words.some((x) => x.toLowerCase() === w.toLowerCase())) words.push(w);
    }
  }
  return words;
}

// Links --------------------------------------------------------------------------

export interface LinkCheck {
  /** The host (or, for mailto, the address) as the browser would resolve it. */
  host: string | null;
  /** Whether openLink can open it (http, https and mailto only). */
  openable: boolean;
  warnings: string[];
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function hostWarnings(host: string): string[] {
  const out: string[] = [];
  const bare = host.replace(/^\[|\]$/g, "");
  if (IPV4.test(bare) || bare.includes(":")) {
    out.push("The host is an IP address, not a name: genuine links rarely look like this.");
  }
  if (host.split(".").some((label) => label.toLowerCase().startsWith("xn--"))) {
    out.push(
      "The host is written in punycode (xn--): its letters may imitate a familiar name with look-alike characters.",
    );
  }
  return out;
}

/** Characters that hide or reorder text: controls, zero-width and bidirectional marks. */
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0]/u;

/** What to tell a person about a link before they open it. */
export function checkLink(url: string): LinkCheck {
  const warnings: string[] = [];
  if (HIDDEN.test(url)) {
    warnings.push("The address contains invisible or direction-changing characters (shown as ⟨U+…⟩).");
  }
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return { host: null, openable: false, warnings: [...warnings, "This is not a valid web address."] };
  }
  const scheme = parsed.protocol;
  if (scheme === "mailto:") {
    const address = decodeURIComponent(parsed.pathname);
    const domain = address.split("@").pop() ?? "";
    return { host: address || null, openable: true, warnings: [...warnings, ...hostWarnings(domain.toLowerCase())] };
  }
  if (scheme !== "http:" && scheme !== "https:") {
    return {
      host: null,
      openable: false,
      warnings: [...warnings, `Coffer opens only web (http, https) and mailto links, not ${scheme}.`],
    };
  }
  if (parsed.username || parsed.password) {
    warnings.push(
      `The part before "@" (${decodeURIComponent(parsed.username)}) is not where this goes: the host is ${parsed.hostname}.`,
    );
  }
  warnings.push(...hostWarnings(parsed.hostname));
  if (scheme === "http:") warnings.push("Not encrypted (http): the network can read or change the page.");
  return { host: parsed.hostname, openable: true, warnings };
}

/** Splits a URL so that hidden characters can be shown as ⟨U+XXXX⟩. */
export function revealHidden(text: string): Segment[] {
  const out: Segment[] = [];
  let plain = "";
  for (const ch of text) {
    if (HIDDEN.test(ch)) {
      if (plain) out.push({ text: plain, mark: false });
      plain = "";
      out.push({ text: `⟨U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}⟩`, mark: true });
    } else {
      plain += ch;
    }
  }
  if (plain) out.push({ text: plain, mark: false });
  return out;
}
