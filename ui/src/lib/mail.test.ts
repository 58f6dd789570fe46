import { describe, expect, it } from "vitest";
import type { Folder } from "./api";
import {
  checkLink,
  compareFolders,
  defaultFolder,
  folderKind,
  formatShortDate,
  formatSize,
  groupFolders,
  hitToRow,
  isFlagged,
  isUnread,
  parseSnippet,
  queryWords,
  revealHidden,
} from "./mail";

const f = (account: string, name: string, unread = 0): Folder => ({ account, name, total: 10, unread });

describe("folders", () => {
  it("knows the special folders by name, in any case and under a parent", () => {
    expect(folderKind("INBOX")).toBe("inbox");
    expect(folderKind("Inbox")).toBe("inbox");
    expect(folderKind("[Gmail]/Sent Mail")).toBe("sent");
    expect(folderKind("INBOX.Trash")).toBe("trash");
    expect(folderKind("Deleted Items")).toBe("trash");
    expect(folderKind("Spam")).toBe("junk");
    expect(folderKind("Drafts")).toBe("drafts");
    expect(folderKind("Archive")).toBe("archive");
    expect(folderKind("Work")).toBeNull();
    expect(folderKind("Sentimental")).toBeNull();
  });

  it("orders INBOX, then the special folders, then the rest alphabetically", () => {
    const names = ["zebra", "Trash", "Archive", "INBOX", "Sent", "apple", "Junk", "Drafts", "Work/Q2", "Work/Q10"];
    expect(names.slice().sort(compareFolders)).toEqual([
      "INBOX", "Drafts", "Sent", "Archive", "Junk", "Trash", "apple", "Work/Q2", "Work/Q10", "zebra",
    ]);
  });

  it("groups by account, keeping the accounts' order", () => {
    const groups = groupFolders([f("work", "Sent"), f("home", "b"), f("work", "INBOX"), f("home", "INBOX")]);
    expect(groups.map((g) => g.account)).toEqual(["work", "home"]);
    expect(groups[0].folders.map((x) => x.name)).toEqual(["INBOX", "Sent"]);
    expect(groups[1].folders.map((x) => x.name)).toEqual(["INBOX", "b"]);
    expect(defaultFolder([f("work", "Sent"), f("work", "INBOX")])?.name).toBe("INBOX");
    expect(defaultFolder([])).toBeNull();
  });
});

describe("rows", () => {
  it("reads the flags", () => {
    expect(isUnread([])).toBe(true);
    expect(isUnread(["\\Seen"])).toBe(false);
    expect(isFlagged(["\\Seen", "\\Flagged"])).toBe(true);
    expect(isFlagged(["\\Seen"])).toBe(false);
  });

  it("turns a search hit into a row that keeps its place and snippet", () => {
    const row = hitToRow({
      id: 7, account: "a", folder: "INBOX", date: "2024-01-01T00:00:00Z", from: "x", to: "y",
      subject: "s", flags: [], snippet: "a [b] c", attachments: ["f.pdf"], thread: "t",
    });
    expect(row).toMatchObject({ id: 7, hasAttachment: true, threadSize: 1, snippet: "a [b] c", folder: "INBOX", account: "a" });
  });

  it("formats dates short: the time today, the day this year, the year before", () => {
    const now = new Date(2024, 5, 15, 18, 0);
    expect(formatShortDate(new Date(2024, 5, 15, 9, 5).toISOString(), now)).toMatch(/09|9/);
    expect(formatShortDate(new Date(2024, 2, 5, 9, 5).toISOString(), now)).not.toMatch(/2024/);
    expect(formatShortDate(new Date(2021, 2, 5).toISOString(), now)).toMatch(/2021/);
    expect(formatShortDate("not a date", now)).toBe("not a date");
  });

  it("formats sizes", () => {
    expect(formatSize(512)).toBe("512 B");
    expect(formatSize(2048)).toBe("2.0 KB");
    expect(formatSize(5 * 1024 * 1024)).toBe("5.0 MB");
    expect(formatSize(300 * 1024)).toBe("300 KB");
  });
});

describe("search", () => {
  it("splits a snippet into text and the matched words", () => {
    expect(parseSnippet("the [quarterly] report for [Q1]!")).toEqual([
      { text: "the ", mark: false },
      { text: "quarterly", mark: true },
      { text: " report for ", mark: false },
      { text: "Q1", mark: true },
      { text: "!", mark: false },
    ]);
    expect(parseSnippet("no match")).toEqual([{ text: "no match", mark: false }]);
    // A lone bracket is text.
    expect(parseSnippet("a [b")).toEqual([{ text: "a [b", mark: false }]);
  });

  it("keeps the plain words of a query for highlighting", () => {
    expect(queryWords("report")).toEqual(["report"]);
    expect(queryWords('"quarterly report" warr*')).toEqual(["quarterly", "report", "warr"]);
    expect(queryWords("from:alice subject:\"Q1 plans\" in:INBOX is:unread has:attachment")).toEqual(["alice", "Q1", "plans"]);
    expect(queryWords("cafe -lunch NOT dinner")).toEqual(["cafe"]);
    expect(queryWords("(a OR b) AND c")).toEqual(["a", "b", "c"]);
    expect(queryWords("before:2024-03-01 newer_than:7d larger:5M")).toEqual([]);
    expect(queryWords("会議 café")).toEqual(["会議", "café"]);
    expect(queryWords("Report report")).toEqual(["Report"]);
  });
});

describe("links", () => {
  it("names the host and warns about IP addresses and punycode", () => {
    expect(checkLink("https://example.com/a").warnings).toEqual([]);
    expect(checkLink("https://example.com/a").host).toBe("example.com");
    const ip = checkLink("http://192.168.0.1/login");
    expect(ip.host).toBe("192.168.0.1");
    expect(ip.warnings.join(" ")).toMatch(/IP address/);
    // Numbers the browser reads as an IP address are one too.
    expect(checkLink("https://0x7f.1/").warnings.join(" ")).toMatch(/IP address/);
    expect(checkLink("https://[::1]/").warnings.join(" ")).toMatch(/IP address/);
    const puny = checkLink("https://xn--pple-43d.com/");
    expect(puny.warnings.join(" ")).toMatch(/punycode/);
    // A Unicode host is punycode on the wire.
    expect(checkLink("https://аpple.com/").warnings.join(" ")).toMatch(/punycode/);
  });

  it("warns about a user name in front of the host, and refuses what openLink cannot open", () => {
    expect(checkLink("https://paypal.com@evil.example/").warnings.join(" ")).toMatch(/host is evil\.example/);
    expect(checkLink("javascript:alert(1)").openable).toBe(false);
    expect(checkLink("not a url").openable).toBe(false);
    const mail = checkLink("mailto:bob@xn--e1afmkfd.xn--p1ai");
    expect(mail.openable).toBe(true);
    expect(mail.warnings.join(" ")).toMatch(/punycode/);
  });

  it("reveals hidden characters", () => {
    const url = "https://example.com/\u202Etxt.exe";
    expect(checkLink(url).warnings.join(" ")).toMatch(/invisible/);
    expect(revealHidden(url)).toEqual([
      { text: "https://example.com/", mark: false },
      { text: "⟨U+202E⟩", mark: true },
      { text: "txt.exe", mark: false },
    ]);
  });
});
