import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import Reader from "./Reader.svelte";
import type { Folder, Mark, MessageDetail, SafeBody } from "../lib/api";

const detail: MessageDetail = {
  id: 42,
  account: "work",
  folder: "INBOX",
  date: "2024-03-05T10:00:00Z",
  from: "Alice <alice@example.com>",
  to: "Bob <bob@example.com>",
  cc: "Carol <carol@example.com>",
  bcc: "",
  subject: "Quarterly report",
  flags: [],
  messageId: "<m42@example.com>",
  thread: "<m42@example.com>",
  trust: "genuine",
  movedFrom: null,
  text: "Body text",
  attachments: [{ name: "report.pdf", type: "application/pdf", size: 20480, inline: false }],
};

const body: SafeBody = {
  html: '<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'"></head><body><p>MAIL-BODY-TEXT <a data-link="0">click</a></p></body></html>',
  isHtml: true,
  blockedRemote: 3,
  links: ["https://example.com/report?id=7", "http://192.0.2.5/login"],
};

const folders: Folder[] = [
  { account: "work", name: "INBOX", total: 1, unread: 1 },
  { account: "work", name: "Archive", total: 0, unread: 0 },
  { account: "work", name: "Trash", total: 0, unread: 0 },
  { account: "home", name: "INBOX", total: 0, unread: 0 },
];

function setup(over: Record<string, unknown> = {}) {
  const calls = { body: [] as [number, string[]][], opened: [] as string[], saved: [] as [number, number][], marks: [] as Mark[][], moved: [] as string[], deleted: 0 };
  render(Reader, {
    props: {
      id: 42,
      delay: 0,
      folders,
      message: async () => detail,
      messageBody: async (id: number, words: string[] = []) => (calls.body.push([id, words]), body),
      saveAttachment: async (id: number, index: number) => (calls.saved.push([id, index]), "/home/me/Downloads/report.pdf"),
      openAttachment: async () => "/tmp/report.pdf",
      openLink: async (u: string) => void calls.opened.push(u),
      onmark: (m: Mark[]) => calls.marks.push(m),
      onmove: (f: string) => calls.moved.push(f),
      ondelete: () => calls.deleted++,
      ...over,
    },
  });
  return calls;
}

describe("Reader", () => {
  it("loads a single selection at once, and waits only while the selection keeps changing", async () => {
    const loaded: number[] = [];
    const props = {
      id: 1,
      delay: 80,
      folders,
      message: async (id: number) => (loaded.push(id), { ...detail, id }),
      messageBody: async () => body,
    };
    const view = render(Reader, { props });
    expect(loaded).toEqual([1]);
    // Holding j: 2, 3 and 4 in quick succession; only the last one loads, after the delay.
    await view.rerender({ ...props, id: 2 });
    await view.rerender({ ...props, id: 3 });
    await view.rerender({ ...props, id: 4 });
    expect(loaded).toEqual([1]);
    await waitFor(() => expect(loaded).toEqual([1, 4]));
  });

  it("puts the body only in a frame with an empty sandbox, no src and no referrer", async () => {
    setup();
    const frame = (await screen.findByTestId("message-frame")) as HTMLIFrameElement;
    expect(frame.tagName).toBe("IFRAME");
    expect(frame.hasAttribute("sandbox")).toBe(true);
    expect(frame.getAttribute("sandbox")).toBe("");
    expect(frame.getAttribute("srcdoc")).toBe(body.html);
    expect(frame.hasAttribute("src")).toBe(false);
    expect(frame.getAttribute("referrerpolicy")).toBe("no-referrer");
    expect(frame.getAttribute("title")).toBe("Message body");
    // The body's text is nowhere in the app's own document.
    expect(document.body.textContent).not.toContain("MAIL-BODY-TEXT");
    expect(document.querySelectorAll("iframe")).toHaveLength(1);
  });

  it("shows trust and blocked resources in the chrome, outside the frame", async () => {
    setup();
    const trust = await screen.findByTestId("trust");
    expect(trust.textContent).toContain("Sealed · verified");
    const blocked = await screen.findByTestId("blocked-count");
    expect(blocked.textContent?.trim()).toBe("3 remote resources blocked");
    const frame = screen.getByTestId("message-frame");
    expect(frame.contains(trust)).toBe(false);
    expect(frame.getAttribute("srcdoc")).not.toContain("verified");
    expect(frame.getAttribute("srcdoc")).not.toContain("blocked");
  });

  it("warns when the seal is not verified or wrapped", async () => {
    setup({ message: async () => ({ ...detail, trust: "unverified" }) });
    const trust = await screen.findByTestId("trust");
    expect(trust.textContent).toContain("Not verified");
    expect(trust.textContent).not.toContain("Sealed · verified");
  });

  it("shows a wrapped seal as such", async () => {
    setup({ message: async () => ({ ...detail, trust: "wrapped" }) });
    expect((await screen.findByTestId("trust")).textContent).toContain("Wrapped");
  });

  it("shows the headers, Cc and Bcc only when there are some", async () => {
    setup();
    expect((await screen.findByTestId("header-from")).textContent).toBe(detail.from);
    expect(screen.getByTestId("header-to").textContent).toBe(detail.to);
    expect(screen.getByTestId("header-cc").textContent).toBe(detail.cc);
    expect(screen.queryByTestId("header-bcc")).toBeNull();
    expect(screen.getByTestId("header-subject").textContent).toBe("Quarterly report");
    expect(screen.getByTestId("header-date").textContent).not.toBe("");
  });

  it("asks for the highlighted words", async () => {
    const calls = setup({ highlight: ["quarterly", "report"] });
    await screen.findByTestId("message-frame");
    expect(calls.body).toEqual([[42, ["quarterly", "report"]]]);
  });

  it("lists the links and opens one only after the prompt's confirmation", async () => {
    const calls = setup();
    const links = await screen.findByTestId("links");
    const entries = links.querySelectorAll<HTMLButtonElement>("[data-testid=link]");
    expect([...entries].map((b) => b.textContent)).toEqual(body.links);
    await fireEvent.click(entries[1]);
    const prompt = await screen.findByTestId("link-prompt");
    expect(screen.getByTestId("link-target").textContent).toBe("http://192.0.2.5/login");
    expect(prompt.textContent).toMatch(/IP address/);
    expect(calls.opened).toEqual([]);
    await fireEvent.click(screen.getByTestId("link-open"));
    expect(calls.opened).toEqual(["http://192.0.2.5/login"]);
    await waitFor(() => expect(screen.queryByTestId("link-prompt")).toBeNull());
  });

  it("cancelling the prompt opens nothing", async () => {
    const calls = setup();
    const links = await screen.findByTestId("links");
    await fireEvent.click(links.querySelector("[data-testid=link]")!);
    await fireEvent.click(await screen.findByTestId("link-cancel"));
    expect(screen.queryByTestId("link-prompt")).toBeNull();
    expect(calls.opened).toEqual([]);
  });

  it("lists attachments and shows where one was saved", async () => {
    const calls = setup();
    const att = await screen.findByTestId("attachment");
    expect(att.textContent).toContain("report.pdf");
    expect(att.textContent).toContain("application/pdf");
    expect(att.textContent).toContain("20 KB");
    await fireEvent.click(screen.getByTestId("attachment-save"));
    expect((await screen.findByTestId("attachment-saved")).textContent).toContain("/home/me/Downloads/report.pdf");
    expect(calls.saved).toEqual([[42, 0]]);
  });

  it("offers the actions: reply, reply all, forward, mark, flag, move within the account, delete", async () => {
    const replies: string[] = [];
    const calls = setup({
      onreply: () => replies.push("reply"),
      onreplyall: () => replies.push("reply_all"),
      onforward: () => replies.push("forward"),
      oneditdraft: () => replies.push("draft"),
    });
    const reply = (await screen.findByTestId("reply")) as HTMLButtonElement;
    expect(reply.disabled).toBe(false);
    await fireEvent.click(reply);
    await fireEvent.click(screen.getByTestId("reply-all"));
    await fireEvent.click(screen.getByTestId("forward"));
    expect(replies).toEqual(["reply", "reply_all", "forward"]);
    // Not a draft: nothing to edit.
    expect(screen.queryByTestId("edit-draft")).toBeNull();
    expect(screen.getByTestId("toggle-read").textContent).toBe("Mark read");
    await fireEvent.click(screen.getByTestId("toggle-read"));
    await fireEvent.click(screen.getByTestId("toggle-flag"));
    expect(calls.marks).toEqual([["read"], ["flag"]]);
    const move = screen.getByTestId("move") as HTMLSelectElement;
    expect([...move.options].map((o) => o.value)).toEqual(["", "Archive", "Trash"]);
    await fireEvent.change(move, { target: { value: "Archive" } });
    expect(calls.moved).toEqual(["Archive"]);
    await fireEvent.click(screen.getByTestId("delete"));
    expect(calls.deleted).toBe(1);
  });

  it("offers to edit a message in a Drafts folder", async () => {
    let edits = 0;
    setup({ message: async () => ({ ...detail, folder: "INBOX.Drafts" }), oneditdraft: () => edits++ });
    await fireEvent.click(await screen.findByTestId("edit-draft"));
    expect(edits).toBe(1);
  });

  it("reflects the flags it is given", async () => {
    setup({ flags: ["\\Seen", "\\Flagged"] });
    expect((await screen.findByTestId("toggle-read")).textContent).toBe("Mark unread");
    expect(screen.getByTestId("toggle-flag").textContent).toContain("Unflag");
  });

  it("shows an error instead of the message", async () => {
    setup({ message: async () => { throw { code: "network", message: "the server could not be reached" }; } });
    expect((await screen.findByTestId("reader-error")).textContent).toContain("the server could not be reached");
  });

  it("asks to pick a message when none is selected", () => {
    setup({ id: null });
    expect(screen.getByTestId("reader-empty")).toBeTruthy();
  });

  it("shows a hidden direction mark in an attachment's name", async () => {
    setup({ message: async () => ({ ...detail, attachments: [{ name: "invoice\u202Efdp.exe", type: "application/octet-stream", size: 10, inline: false }] }) });
    const name = await screen.findByTestId("attachment-name");
    expect(name.textContent).toBe("invoice⟨U+202E⟩fdp.exe");
  });
});
