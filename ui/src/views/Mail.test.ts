import "../components/virtual-list-test-env";
import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import Mail from "./Mail.svelte";
import type {
  ComposeRequest,
  Folder,
  Mark,
  MessageDetail,
  MessageRow,
  SafeBody,
  SearchHit,
  SendReport,
  WatchStatus,
} from "../lib/api";
import { blankRequest } from "../lib/compose";

function row(id: number, flags: string[] = ["\\Seen"]): MessageRow {
  return {
    id, date: "2024-03-05T10:00:00Z", from: `Sender ${id}`, subject: `Subject ${id}`,
    flags, hasAttachment: false, thread: `t${id}`, threadSize: 1,
  };
}

/** A fake backend over one mutable mailbox; records every call. */
function backend() {
  const inbox: MessageRow[] = [row(1, []), row(2), row(3)];
  const drafts: MessageRow[] = [row(20)];
  /** What the outbox holds; `sendState` is what the next send does. */
  const box = { entries: [] as SendReport[], sendState: "sent" as SendReport["state"] };
  const calls = {
    messages: [] as [string, string, number, number, boolean][],
    search: [] as [string, number][],
    body: [] as [number, string[]][],
    mark: [] as [number, Mark[]][],
    moved: [] as [number, string][],
    deleted: [] as number[],
    composeFrom: [] as [string, number][],
    sent: [] as ComposeRequest[],
    saved: [] as ComposeRequest[],
    outbox: 0,
    retried: 0,
    discarded: [] as number[],
  };
  const folderList: Folder[] = [
    { account: "work", name: "Trash", total: 0, unread: 0 },
    { account: "work", name: "INBOX", total: 3, unread: 1 },
    { account: "work", name: "Archive", total: 0, unread: 0 },
  ];
  const hits: SearchHit[] = [
    { id: 3, account: "work", folder: "INBOX", date: "2024-03-05T10:00:00Z", from: "Alice", to: "Bob",
      subject: "Quarterly report", flags: ["\\Seen"], snippet: "the [report] is late", attachments: [], thread: "t3" },
  ];
  const api = {
    folders: async () => folderList,
    messages: async (account: string, folder: string, offset: number, limit: number, threads: boolean) => {
      calls.messages.push([account, folder, offset, limit, threads]);
      const rows = folder === "INBOX" ? inbox : folder === "Drafts" ? drafts : [];
      return { total: rows.length, rows: rows.slice(offset, offset + limit) };
    },
    search: async (query: string, limit: number) => {
      calls.search.push([query, limit]);
      if (query.includes("(")) throw { code: "bad_request", message: 'search query: at position 1: expected a closing ")"' };
      return hits;
    },
    message: async (id: number): Promise<MessageDetail> => {
      const draft = drafts.find((x) => x.id === id);
      const r = draft ?? inbox.find((x) => x.id === id) ?? row(id);
      return {
        id, account: "work", folder: draft ? "Drafts" : "INBOX", date: r.date, from: r.from, to: "me", cc: "", bcc: "",
        subject: r.subject, flags: r.flags, messageId: `<${id}@x>`, thread: r.thread, trust: "genuine",
        movedFrom: null, text: "", attachments: [],
      };
    },
    messageBody: async (id: number, highlight: string[] = []): Promise<SafeBody> => {
      calls.body.push([id, highlight]);
      return { html: `<p>body ${id}</p>`, isHtml: false, blockedRemote: 0, links: [] };
    },
    mark: async (id: number, marks: Mark[]) => {
      calls.mark.push([id, marks]);
      const r = inbox.find((x) => x.id === id)!;
      let flags = r.flags.slice();
      for (const m of marks) {
        if (m === "read") flags = [...new Set([...flags, "\\Seen"])];
        if (m === "unread") flags = flags.filter((f) => f !== "\\Seen");
        if (m === "flag") flags = [...new Set([...flags, "\\Flagged"])];
        if (m === "unflag") flags = flags.filter((f) => f !== "\\Flagged");
      }
      r.flags = flags;
      return flags;
    },
    moveMessage: async (id: number, folder: string) => {
      calls.moved.push([id, folder]);
      inbox.splice(inbox.findIndex((x) => x.id === id), 1);
    },
    deleteMessage: async (id: number) => {
      calls.deleted.push(id);
      inbox.splice(inbox.findIndex((x) => x.id === id), 1);
    },
    composeFrom: async (kind: string, id: number): Promise<ComposeRequest> => {
      calls.composeFrom.push([kind, id]);
      const subject = `Subject ${id}`;
      if (kind === "forward") return { ...blankRequest("work"), subject: `Fwd: ${subject}`, text: "> body", forward: id };
      if (kind === "draft") return { ...blankRequest("work"), to: ["later@example.com"], subject, draftId: id };
      return {
        ...blankRequest("work"),
        to: [`sender${id}@example.com`],
        cc: kind === "reply_all" ? ["carol@example.com"] : [],
        subject: `Re: ${subject}`,
        text: "\n> body",
        replyTo: id,
      };
    },
    sendMessage: async (request: ComposeRequest): Promise<SendReport> => {
      calls.sent.push(request);
      const report: SendReport = {
        id: 100 + calls.sent.length, message_id: "<new@x>", subject: request.subject, state: box.sendState,
        recipients: request.to.map((address) => ({
          address, state: box.sendState === "sent" ? "accepted" : "pending", reply: box.sendState === "sent" ? "250 ok" : "451 later",
        })),
        error: null, sent_folder: null,
      };
      if (report.state === "queued") box.entries = [...box.entries, report];
      return report;
    },
    saveDraft: async (request: ComposeRequest) => (calls.saved.push(request), 500 + calls.saved.length),
    outbox: async () => (calls.outbox++, box.entries),
    outboxRetry: async () => {
      calls.retried++;
      const sent = box.entries.filter((e) => e.state === "queued").map((e) => ({ ...e, state: "sent" as const }));
      box.entries = box.entries.filter((e) => e.state !== "queued");
      return sent;
    },
    outboxDiscard: async (id: number) => {
      calls.discarded.push(id);
      box.entries = box.entries.filter((e) => e.id !== id);
    },
  };
  return { api, calls, inbox, box };
}

function setup(extra: Record<string, unknown> = {}) {
  const b = backend();
  const watch = { emit: (_s: WatchStatus) => {}, unsubscribed: false };
  const subscribeWatch = async (cb: (s: WatchStatus) => void) => {
    watch.emit = cb;
    return () => void (watch.unsubscribed = true);
  };
  const view = render(Mail, { props: { ...b.api, subscribeWatch, readerDelay: 0, markReadAfter: -1, ...extra } });
  return { ...b, watch, view };
}

function watchStatus(sealedTotal: number): WatchStatus {
  return { account: "work", state: "up_to_date", sealing: 0, retryInSeconds: null, reason: null, locked: false, sealedTotal };
}

const ids = () => screen.queryAllByTestId("message-row").map((r) => r.dataset.messageId);
const selectedId = () =>
  screen.queryAllByTestId("message-row").find((r) => r.getAttribute("aria-selected") === "true")?.dataset.messageId;
const key = (k: string) => fireEvent.keyDown(document.body, { key: k });

describe("Mail", () => {
  it("opens the first account's INBOX, folders in order, rows with their ids", async () => {
    const { calls } = setup();
    await waitFor(() => expect(ids()).toEqual(["1", "2", "3"]));
    expect(screen.getAllByTestId("folder").map((f) => f.dataset.folder)).toEqual(["INBOX", "Archive", "Trash"]);
    expect(calls.messages[0]).toEqual(["work", "INBOX", 0, 200, false]);
    expect(screen.getByRole("listbox")).toBeTruthy();
  });

  it("groups by conversation with the Threads toggle", async () => {
    const { calls } = setup();
    await waitFor(() => expect(ids()).toHaveLength(3));
    await fireEvent.click(screen.getByTestId("threads-toggle"));
    await waitFor(() => expect(calls.messages.at(-1)).toEqual(["work", "INBOX", 0, 200, true]));
  });

  it("moves with j and k, and opens the selected message in the reader", async () => {
    const { calls } = setup();
    await waitFor(() => expect(ids()).toHaveLength(3));
    await key("j");
    await waitFor(() => expect(selectedId()).toBe("1"));
    await key("j");
    await waitFor(() => expect(selectedId()).toBe("2"));
    await key("k");
    await waitFor(() => expect(selectedId()).toBe("1"));
    await screen.findByTestId("message-frame");
    expect(calls.body.at(-1)).toEqual([1, []]);
    // Enter takes the focus to the reader.
    await key("Enter");
    expect(document.activeElement?.getAttribute("aria-label")).toBe("Reader");
    // Keys typed in a field are text, not shortcuts.
    await fireEvent.keyDown(screen.getByTestId("search-input"), { key: "j" });
    expect(selectedId()).toBe("1");
  });

  it("marks read and unread with u, flags with s, and updates the row", async () => {
    const { calls } = setup();
    await waitFor(() => expect(ids()).toHaveLength(3));
    const first = () => document.querySelector('[data-message-id="1"]') as HTMLElement;
    expect(first().dataset.unread).toBe("true");
    await fireEvent.click(first());
    await screen.findByTestId("toggle-read");
    await key("u");
    await waitFor(() => expect(first().dataset.unread).toBeUndefined());
    expect(calls.mark).toEqual([[1, ["read"]]]);
    expect(screen.getByTestId("toggle-read").textContent).toBe("Mark unread");
    await key("s");
    await waitFor(() => expect(first().dataset.flagged).toBe("true"));
    expect(screen.getByTestId("toggle-flag").textContent).toContain("Unflag");
    await fireEvent.click(screen.getByTestId("toggle-read"));
    await waitFor(() => expect(first().dataset.unread).toBe("true"));
    expect(calls.mark.map((c) => c[1])).toEqual([["read"], ["flag"], ["unread"]]);
  });

  it("marks a message read after it has been open a moment", async () => {
    const { calls } = setup({ markReadAfter: 0 });
    await waitFor(() => expect(ids()).toHaveLength(3));
    await fireEvent.click(document.querySelector('[data-message-id="1"]')!);
    await waitFor(() => expect(calls.mark).toEqual([[1, ["read"]]]));
    await waitFor(() =>
      expect((document.querySelector('[data-message-id="1"]') as HTMLElement).dataset.unread).toBeUndefined(),
    );
  });

  it("deletes with the Delete key: the row goes and the next is selected", async () => {
    const { calls } = setup();
    await waitFor(() => expect(ids()).toHaveLength(3));
    await fireEvent.click(document.querySelector('[data-message-id="2"]')!);
    await waitFor(() => expect(selectedId()).toBe("2"));
    await key("Delete");
    await waitFor(() => expect(ids()).toEqual(["1", "3"]));
    expect(calls.deleted).toEqual([2]);
    await waitFor(() => expect(selectedId()).toBe("3"));
    await waitFor(() => expect(screen.getByTestId("header-subject").textContent).toBe("Subject 3"));
    expect(screen.getByTestId("notice").textContent).toBe("Deleted.");
  });

  it("moves the open message to another folder from the reader", async () => {
    const { calls } = setup();
    await waitFor(() => expect(ids()).toHaveLength(3));
    await fireEvent.click(document.querySelector('[data-message-id="3"]')!);
    const move = (await screen.findByTestId("move")) as HTMLSelectElement;
    await fireEvent.change(move, { target: { value: "Archive" } });
    await waitFor(() => expect(ids()).toEqual(["1", "2"]));
    expect(calls.moved).toEqual([[3, "Archive"]]);
    // The last row went: the one before it is selected.
    await waitFor(() => expect(selectedId()).toBe("2"));
  });

  it("searches after a pause in typing, shows the hits, and opens one with the words highlighted", async () => {
    const { calls } = setup();
    await waitFor(() => expect(ids()).toHaveLength(3));
    const input = screen.getByTestId("search-input");
    await fireEvent.input(input, { target: { value: "from:alice rep" } });
    await fireEvent.input(input, { target: { value: "from:alice repo" } });
    await fireEvent.input(input, { target: { value: "from:alice report" } });
    expect(calls.search).toEqual([]);
    await waitFor(() => expect(ids()).toEqual(["3"]));
    expect(calls.search).toEqual([["from:alice report", 500]]);
    const hit = screen.getAllByTestId("message-row")[0];
    expect([...hit.querySelectorAll("mark")].map((m) => m.textContent)).toEqual(["report"]);
    await fireEvent.click(hit);
    await screen.findByTestId("message-frame");
    expect(calls.body.at(-1)).toEqual([3, ["alice", "report"]]);
  });

  it("shows a malformed query's error under the box, and Escape returns to the folder", async () => {
    setup();
    await waitFor(() => expect(ids()).toHaveLength(3));
    const input = screen.getByTestId("search-input") as HTMLInputElement;
    await fireEvent.input(input, { target: { value: "(report" } });
    const error = await screen.findByTestId("search-error");
    expect(error.getAttribute("role")).toBe("status");
    expect(error.textContent).toBe('search query: at position 1: expected a closing ")"');
    // The folder is still listed.
    expect(ids()).toEqual(["1", "2", "3"]);
    await fireEvent.input(input, { target: { value: "report" } });
    await waitFor(() => expect(ids()).toEqual(["3"]));
    expect(screen.queryByTestId("search-error")).toBeNull();
    await fireEvent.keyDown(input, { key: "Escape" });
    await waitFor(() => expect(ids()).toEqual(["1", "2", "3"]));
    expect(input.value).toBe("");
  });

  it("focuses the search with /, toggles the shortcuts with ?, closes them with Escape", async () => {
    setup();
    await waitFor(() => expect(ids()).toHaveLength(3));
    await key("?");
    const overlay = await screen.findByTestId("shortcuts");
    for (const k of ["j", "k", "Enter", "r", "/", "Delete", "u", "s", "?", "Esc"]) {
      expect(overlay.textContent).toContain(k);
    }
    await fireEvent.keyDown(document.activeElement ?? document.body, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("shortcuts")).toBeNull());
    await key("?");
    await screen.findByTestId("shortcuts");
    await key("?");
    await waitFor(() => expect(screen.queryByTestId("shortcuts")).toBeNull());
    await key("/");
    expect(document.activeElement).toBe(screen.getByTestId("search-input"));
  });

  it("opens a reply on r, prefilled from composeFrom, and sends it", async () => {
    const { calls } = setup();
    await waitFor(() => expect(ids()).toHaveLength(3));
    // Nothing selected: nothing to reply to.
    await key("r");
    expect(calls.composeFrom).toEqual([]);
    await fireEvent.click(document.querySelector('[data-message-id="2"]')!);
    await screen.findByTestId("reply");
    await key("r");
    await screen.findByTestId("compose");
    expect(calls.composeFrom).toEqual([["reply", 2]]);
    // The form takes the reader's place.
    expect(screen.queryByTestId("reader")).toBeNull();
    expect((screen.getByTestId("compose-to") as HTMLInputElement).value).toBe("sender2@example.com");
    expect((screen.getByTestId("compose-subject") as HTMLInputElement).value).toBe("Re: Subject 2");
    const before = calls.outbox;
    await fireEvent.click(screen.getByTestId("compose-send"));
    await waitFor(() => expect(screen.queryByTestId("compose")).toBeNull());
    expect(calls.sent).toHaveLength(1);
    expect(calls.sent[0]).toMatchObject({ to: ["sender2@example.com"], replyTo: 2, draftId: null });
    expect((await screen.findByTestId("notice")).textContent).toBe("Sent.");
    expect(calls.outbox).toBeGreaterThan(before);
    await screen.findByTestId("reader");
  });

  it("replies to all and forwards from the reader's buttons and from a and f", async () => {
    const { calls } = setup();
    await waitFor(() => expect(ids()).toHaveLength(3));
    await fireEvent.click(document.querySelector('[data-message-id="3"]')!);
    await fireEvent.click(await screen.findByTestId("reply-all"));
    await screen.findByTestId("compose");
    expect((screen.getByTestId("compose-cc") as HTMLInputElement).value).toBe("carol@example.com");
    // Untouched: Escape closes it at once.
    await fireEvent.keyDown(screen.getByTestId("compose-to"), { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("compose")).toBeNull());
    await fireEvent.click(await screen.findByTestId("forward"));
    await screen.findByTestId("compose");
    expect((screen.getByTestId("compose-subject") as HTMLInputElement).value).toBe("Fwd: Subject 3");
    await fireEvent.click(screen.getByTestId("compose-discard"));
    await waitFor(() => expect(screen.queryByTestId("compose")).toBeNull());
    await screen.findByTestId("reader");
    (document.activeElement as HTMLElement | null)?.blur();
    await key("a");
    await screen.findByTestId("compose");
    await fireEvent.keyDown(screen.getByTestId("compose-to"), { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("compose")).toBeNull());
    await screen.findByTestId("reader");
    (document.activeElement as HTMLElement | null)?.blur();
    await key("f");
    await screen.findByTestId("compose");
    expect(calls.composeFrom).toEqual([["reply_all", 3], ["forward", 3], ["reply_all", 3], ["forward", 3]]);
  });

  it("writes a new message with Compose or c; Escape asks before a changed form goes", async () => {
    const { calls } = setup();
    await waitFor(() => expect(ids()).toHaveLength(3));
    await fireEvent.click(document.querySelector('[data-message-id="1"]')!);
    await screen.findByTestId("reader");
    await fireEvent.click(screen.getByTestId("compose-new"));
    await screen.findByTestId("compose");
    expect((screen.getByTestId("compose-to") as HTMLInputElement).value).toBe("");
    await fireEvent.input(screen.getByTestId("compose-to"), { target: { value: "dan@example.com" } });
    // Keys that act on a message do nothing while the form is open (it is out of sight).
    await key("Delete");
    await key("u");
    expect(calls.deleted).toEqual([]);
    expect(calls.mark).toEqual([]);
    // Escape from outside the form asks too.
    await key("Escape");
    await screen.findByTestId("compose-confirm");
    await fireEvent.click(screen.getByTestId("compose-confirm-keep"));
    await fireEvent.keyDown(screen.getByTestId("compose-to"), { key: "Escape" });
    await fireEvent.click(await screen.findByTestId("compose-confirm-discard"));
    await waitFor(() => expect(screen.queryByTestId("compose")).toBeNull());
    (document.activeElement as HTMLElement | null)?.blur();
    await key("c");
    await screen.findByTestId("compose");
    await fireEvent.input(screen.getByTestId("compose-to"), { target: { value: "dan@example.com" } });
    await fireEvent.keyDown(screen.getByTestId("compose-to"), { key: "Enter", ctrlKey: true });
    await waitFor(() => expect(calls.sent).toHaveLength(1));
    expect(calls.sent[0]).toMatchObject({ account: "work", to: ["dan@example.com"], replyTo: null, forward: null });
    expect(calls.composeFrom).toEqual([]);
  });

  it("offers Edit draft for a message in Drafts", async () => {
    const b = backend();
    const folders: Folder[] = [
      { account: "work", name: "INBOX", total: 3, unread: 1 },
      { account: "work", name: "Drafts", total: 1, unread: 0 },
    ];
    render(Mail, { props: { ...b.api, folders: async () => folders, subscribeWatch: async () => () => {}, readerDelay: 0 } });
    await waitFor(() => expect(ids()).toHaveLength(3));
    await fireEvent.click(document.querySelector('[data-message-id="1"]')!);
    await screen.findByTestId("reply");
    expect(screen.queryByTestId("edit-draft")).toBeNull();
    await fireEvent.click(screen.getAllByTestId("folder").find((f) => f.dataset.folder === "Drafts")!);
    await waitFor(() => expect(ids()).toEqual(["20"]));
    await fireEvent.click(document.querySelector('[data-message-id="20"]')!);
    await fireEvent.click(await screen.findByTestId("edit-draft"));
    await screen.findByTestId("compose");
    expect(b.calls.composeFrom).toEqual([["draft", 20]]);
    expect((screen.getByTestId("compose-to") as HTMLInputElement).value).toBe("later@example.com");
    await fireEvent.click(screen.getByTestId("compose-send"));
    await waitFor(() => expect(b.calls.sent).toHaveLength(1));
    expect(b.calls.sent[0].draftId).toBe(20);
  });

  it("says a queued message waits in the outbox, and shows the outbox", async () => {
    const { box } = setup();
    await waitFor(() => expect(ids()).toHaveLength(3));
    expect(screen.queryByTestId("outbox")).toBeNull();
    box.sendState = "queued";
    await fireEvent.click(screen.getByTestId("compose-new"));
    await fireEvent.input(await screen.findByTestId("compose-to"), { target: { value: "eve@example.com" } });
    await fireEvent.click(screen.getByTestId("compose-send"));
    expect((await screen.findByTestId("notice")).textContent).toMatch(/waits in the outbox and will be retried/);
    expect((await screen.findByTestId("outbox")).textContent).toMatch(/1 in the outbox/);
  });

  it("lists the outbox's entries with each recipient's reply; tries again and discards", async () => {
    const b = backend();
    const entry = (id: number, state: SendReport["state"], subject: string): SendReport => ({
      id, message_id: `<${id}@x>`, subject, state, error: state === "failed" ? "refused by every recipient" : null,
      sent_folder: null,
      recipients: [
        { address: "ann@example.com", state: state === "failed" ? "rejected" : "pending", reply: state === "failed" ? "550 5.1.1 no such user" : "451 4.7.1 try again later" },
      ],
    });
    b.box.entries = [entry(1, "queued", "Minutes"), entry(2, "failed", "Invoice")];
    render(Mail, { props: { ...b.api, subscribeWatch: async () => () => {}, readerDelay: 0 } });
    const banner = await screen.findByTestId("outbox");
    expect(banner.textContent).toMatch(/2 in the outbox/);
    await fireEvent.click(banner);
    const list = await screen.findByTestId("outbox-list");
    expect(list.getAttribute("role")).toBe("dialog");
    const entries = () => screen.getAllByTestId("outbox-entry");
    expect(entries().map((e) => e.dataset.state)).toEqual(["queued", "failed"]);
    expect(entries()[0].textContent).toContain("Minutes");
    expect(entries()[0].textContent).toContain("ann@example.com");
    expect(entries()[0].textContent).toContain("451 4.7.1 try again later");
    expect(entries()[1].textContent).toContain("Invoice");
    expect(entries()[1].textContent).toContain("550 5.1.1 no such user");
    expect(entries()[1].querySelector("[data-testid=outbox-state]")!.textContent).toBe("Refused");
    // Only a queued message can be tried again.
    expect(entries()[1].querySelector("[data-testid=outbox-retry]")).toBeNull();

    await fireEvent.click(entries()[0].querySelector("[data-testid=outbox-retry]")!);
    await waitFor(() => expect(b.calls.retried).toBe(1));
    expect((await screen.findByTestId("outbox-note")).textContent).toBe("1 sent.");
    await waitFor(() => expect(entries().map((e) => e.dataset.state)).toEqual(["failed"]));

    await fireEvent.click(entries()[0].querySelector("[data-testid=outbox-discard]")!);
    expect(b.calls.discarded).toEqual([]);
    await fireEvent.click(await screen.findByTestId("outbox-discard-confirm"));
    await waitFor(() => expect(b.calls.discarded).toEqual([2]));
    await screen.findByTestId("outbox-empty");
    expect(screen.queryByTestId("outbox")).toBeNull();
    await fireEvent.click(screen.getByTestId("outbox-close"));
    await waitFor(() => expect(screen.queryByTestId("outbox-list")).toBeNull());
  });

  it("looks at the outbox again while the view is open", async () => {
    const { calls, box, view } = setup({ outboxEvery: 20 });
    await waitFor(() => expect(calls.outbox).toBeGreaterThanOrEqual(1));
    box.entries = [
      { id: 5, message_id: "<5@x>", subject: "Later", state: "queued", error: null, sent_folder: null, recipients: [] },
    ];
    expect((await screen.findByTestId("outbox")).textContent).toMatch(/1 in the outbox/);
    view.unmount();
    const seen = calls.outbox;
    await new Promise((r) => setTimeout(r, 60));
    expect(calls.outbox).toBe(seen);
  });

  it("shows an action's error without losing the row", async () => {
    setup({ deleteMessage: async () => { throw { code: "network", message: "offline" }; } });
    await waitFor(() => expect(ids()).toHaveLength(3));
    await fireEvent.click(document.querySelector('[data-message-id="1"]')!);
    await screen.findByTestId("delete");
    await fireEvent.click(screen.getByTestId("delete"));
    expect((await screen.findByTestId("action-error")).textContent).toContain("offline");
    expect(ids()).toEqual(["1", "2", "3"]);
  });

  it("shows new mail the watch sealed, and unsubscribes when closed", async () => {
    const { inbox, watch, view } = setup();
    await waitFor(() => expect(ids()).toEqual(["1", "2", "3"]));
    watch.emit(watchStatus(4));
    inbox.unshift(row(9, []));
    watch.emit(watchStatus(5));
    await waitFor(() => expect(ids()).toEqual(["9", "1", "2", "3"]));
    view.unmount();
    expect(watch.unsubscribed).toBe(true);
  });

  it("keeps the shortcuts away from an open link prompt", async () => {
    const b = backend();
    render(Mail, {
      props: {
        ...b.api,
        subscribeWatch: async () => () => {},
        readerDelay: 0,
        markReadAfter: -1,
        messageBody: async () => ({ html: "<p>x</p>", isHtml: true, blockedRemote: 0, links: ["https://example.com/"] }),
      },
    });
    await waitFor(() => expect(ids()).toHaveLength(3));
    await fireEvent.click(document.querySelector('[data-message-id="2"]')!);
    const links = await screen.findByTestId("links");
    await fireEvent.click(links.querySelector("[data-testid=link]")!);
    await screen.findByTestId("link-prompt");
    await fireEvent.keyDown(document.activeElement!, { key: "j" });
    await fireEvent.keyDown(document.activeElement!, { key: "Delete" });
    expect(selectedId()).toBe("2");
    expect(b.calls.deleted).toEqual([]);
    await fireEvent.keyDown(document.activeElement!, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("link-prompt")).toBeNull());
  });
});
