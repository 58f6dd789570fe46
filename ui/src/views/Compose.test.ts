import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import Compose from "./Compose.svelte";
import type { ComposeRequest, OutboxRecipient, SendReport } from "../lib/api";
import { blankRequest } from "../lib/compose";

function report(state: SendReport["state"], recipients: OutboxRecipient[] = [], error: string | null = null): SendReport {
  return { id: 7, message_id: "<m7@example.com>", subject: "Hello", state, recipients, error, sent_folder: state === "sent" ? "Sent" : null };
}

function setup(over: Record<string, unknown> = {}) {
  const calls = {
    sent: [] as ComposeRequest[],
    saved: [] as ComposeRequest[],
    deleted: [] as number[],
    reports: [] as SendReport[],
    closed: 0,
  };
  let nextDraft = 41;
  const view = render(Compose, {
    props: {
      onclose: () => calls.closed++,
      onsent: (r: SendReport) => calls.reports.push(r),
      sendMessage: async (r: ComposeRequest) => (calls.sent.push(r), report("sent")),
      saveDraft: async (r: ComposeRequest) => (calls.saved.push(r), nextDraft++),
      deleteDraft: async (id: number) => void calls.deleted.push(id),
      ...over,
    },
  });
  return { calls, view };
}

const field = (id: string) => screen.getByTestId(id) as HTMLInputElement;
const type = (id: string, value: string) => fireEvent.input(field(id), { target: { value } });

describe("Compose", () => {
  afterEach(() => vi.useRealTimers());

  it("sends what was typed: addresses split, Cc and Bcc behind a link", async () => {
    const { calls } = setup();
    expect(screen.getByTestId("compose").tagName).toBe("FORM");
    expect(document.activeElement).toBe(field("compose-to"));
    expect(screen.queryByTestId("compose-cc")).toBeNull();
    expect(screen.queryByTestId("compose-bcc")).toBeNull();
    await fireEvent.click(screen.getByTestId("compose-show-copies"));
    await waitFor(() => expect(document.activeElement).toBe(field("compose-cc")));
    await type("compose-to", ' alice@example.com, "Doe, Bob" <bob@example.com>, ,');
    await type("compose-cc", "carol@example.com");
    await type("compose-bcc", "  ");
    await type("compose-subject", "Lunch");
    await type("compose-body", "Noon?");
    await fireEvent.click(screen.getByTestId("compose-send"));
    await waitFor(() => expect(calls.closed).toBe(1));
    expect(calls.sent).toEqual([
      {
        account: null,
        to: ["alice@example.com", '"Doe, Bob" <bob@example.com>'],
        cc: ["carol@example.com"],
        bcc: [],
        subject: "Lunch",
        text: "Noon?",
        html: null,
        attachments: [],
        replyTo: null,
        forward: null,
        draftId: null,
      },
    ]);
    expect(calls.reports.map((r) => r.state)).toEqual(["sent"]);
    // Nothing was touched long enough to be saved.
    expect(calls.saved).toEqual([]);
  });

  it("sends with Ctrl+Enter from any field", async () => {
    const { calls } = setup();
    await type("compose-to", "alice@example.com");
    await fireEvent.keyDown(field("compose-body"), { key: "Enter", ctrlKey: true });
    await waitFor(() => expect(calls.sent).toHaveLength(1));
    // Enter alone is a new line, never a send.
    expect(calls.sent[0].to).toEqual(["alice@example.com"]);
  });

  it("refuses to send without a recipient or with something that is not an address", async () => {
    const { calls } = setup();
    await type("compose-subject", "No one");
    await fireEvent.click(screen.getByTestId("compose-send"));
    expect(screen.getByTestId("compose-error").textContent).toMatch(/at least one recipient/);
    await type("compose-to", "alice@example.com, bob");
    await fireEvent.click(screen.getByTestId("compose-send"));
    expect(screen.getByTestId("compose-error").textContent).toMatch(/not an address: bob/);
    expect(calls.sent).toEqual([]);
    expect(calls.closed).toBe(0);
  });

  it("shows which recipients were refused, with the server's reply, and keeps the form", async () => {
    const { calls } = setup({
      sendMessage: async () =>
        report("failed", [
          { address: "alice@example.com", state: "accepted", reply: "250 2.1.5 Ok" },
          { address: "nobody@example.com", state: "rejected", reply: "550 5.1.1 <nobody@example.com>: user unknown" },
        ]),
    });
    await type("compose-to", "alice@example.com, nobody@example.com");
    await type("compose-body", "Hi");
    await fireEvent.click(screen.getByTestId("compose-send"));
    const error = await screen.findByTestId("compose-error");
    expect(error.getAttribute("role")).toBe("alert");
    const refused = screen.getAllByTestId("compose-refused");
    expect(refused).toHaveLength(1);
    expect(refused[0].textContent).toBe("nobody@example.com: 550 5.1.1 <nobody@example.com>: user unknown");
    expect(error.textContent).not.toContain("alice@example.com");
    expect(calls.closed).toBe(0);
    expect(calls.reports).toEqual([]);
    expect(field("compose-to").value).toBe("alice@example.com, nobody@example.com");
    expect(field("compose-body").value).toBe("Hi");
    expect((screen.getByTestId("compose-send") as HTMLButtonElement).disabled).toBe(false);
  });

  it("closes when the message is queued in the outbox, telling the caller", async () => {
    const { calls } = setup({
      sendMessage: async () => report("queued", [{ address: "alice@example.com", state: "pending", reply: "451 try later" }]),
    });
    await type("compose-to", "alice@example.com");
    await fireEvent.click(screen.getByTestId("compose-send"));
    await waitFor(() => expect(calls.closed).toBe(1));
    expect(calls.reports.map((r) => r.state)).toEqual(["queued"]);
  });

  it("shows a send's error and keeps the form", async () => {
    const { calls } = setup({
      sendMessage: async () => {
        throw { code: "network", message: "smtp.example.com: connection refused" };
      },
    });
    await type("compose-to", "alice@example.com");
    await fireEvent.click(screen.getByTestId("compose-send"));
    const error = await screen.findByTestId("compose-error");
    expect(error.textContent).toContain("smtp.example.com: connection refused");
    expect(error.textContent).toContain("check the host");
    expect(calls.closed).toBe(0);
  });

  it("saves a draft 5 s after the last change, each save replacing the last by id, and sends with that id", async () => {
    vi.useFakeTimers();
    const { calls } = setup();
    // An untouched form is never saved.
    await vi.advanceTimersByTimeAsync(20_000);
    expect(calls.saved).toEqual([]);
    expect(screen.getByTestId("compose-status").textContent).toBe("");

    await type("compose-to", "alice@example.com");
    await vi.advanceTimersByTimeAsync(4000);
    await type("compose-subject", "Plans");
    await vi.advanceTimersByTimeAsync(4000);
    expect(calls.saved).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls.saved).toHaveLength(1);
    expect(calls.saved[0]).toMatchObject({ to: ["alice@example.com"], subject: "Plans", draftId: null });
    expect(screen.getByTestId("compose-status").textContent).toMatch(/^Draft saved \S/);

    // No change, no save.
    await vi.advanceTimersByTimeAsync(20_000);
    expect(calls.saved).toHaveLength(1);

    await type("compose-body", "Friday?");
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls.saved).toHaveLength(2);
    expect(calls.saved[1]).toMatchObject({ text: "Friday?", draftId: 41 });

    await type("compose-body", "Friday at noon?");
    // Sent before the next save was due: it replaces the last draft, and no save follows.
    await fireEvent.click(screen.getByTestId("compose-send"));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.sent).toHaveLength(1);
    expect(calls.sent[0]).toMatchObject({ text: "Friday at noon?", draftId: 42 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls.saved).toHaveLength(2);
    expect(calls.closed).toBe(1);
  });

  it("saves at once with Save draft", async () => {
    const { calls } = setup({ initial: { ...blankRequest("work"), to: ["alice@example.com"], draftId: 9 } });
    await fireEvent.click(screen.getByTestId("compose-save"));
    await waitFor(() => expect(calls.saved).toHaveLength(1));
    expect(calls.saved[0]).toMatchObject({ account: "work", to: ["alice@example.com"], draftId: 9 });
    await waitFor(() => expect(screen.getByTestId("compose-status").textContent).toMatch(/Draft saved/));
    await fireEvent.click(screen.getByTestId("compose-save"));
    await waitFor(() => expect(calls.saved).toHaveLength(2));
    expect(calls.saved[1].draftId).toBe(41);
  });

  it("opens prefilled: a reply's recipients, subject, quote and threading", async () => {
    const initial: ComposeRequest = {
      account: "work",
      to: ['"Doe, Alice" <alice@example.com>'],
      cc: ["carol@example.com", "dan@example.com"],
      bcc: [],
      subject: "Re: Plans",
      text: "\n\nOn Tuesday Alice wrote:\n> Friday?\n",
      html: null,
      attachments: [],
      replyTo: 12,
      forward: null,
      draftId: null,
    };
    const { calls } = setup({ initial });
    expect(screen.getByRole("heading").textContent).toBe("Reply");
    expect(field("compose-to").value).toBe('"Doe, Alice" <alice@example.com>');
    expect(field("compose-cc").value).toBe("carol@example.com, dan@example.com");
    expect(field("compose-subject").value).toBe("Re: Plans");
    expect(field("compose-body").value).toBe(initial.text);
    expect(document.activeElement).toBe(field("compose-body"));
    await fireEvent.click(screen.getByTestId("compose-send"));
    await waitFor(() => expect(calls.sent).toHaveLength(1));
    expect(calls.sent[0]).toEqual(initial);
  });

  it("attaches files as base64, shows their name and size, and removes one", async () => {
    const { calls } = setup();
    await type("compose-to", "alice@example.com");
    const input = screen.getByTestId("compose-attach") as HTMLInputElement;
    expect(input.type).toBe("file");
    expect(input.multiple).toBe(true);
    const files = [
      new File(["hello"], "hello.txt", { type: "text/plain" }),
      new File([new Uint8Array(3000)], "blob.bin"),
    ];
    Object.defineProperty(input, "files", { value: files, configurable: true });
    await fireEvent.change(input);
    await waitFor(() => expect(screen.getAllByTestId("compose-attachment")).toHaveLength(2));
    const items = screen.getAllByTestId("compose-attachment");
    expect(items[0].textContent).toContain("hello.txt");
    expect(items[0].textContent).toContain("5 B");
    expect(items[1].textContent).toContain("blob.bin");
    expect(items[1].textContent).toContain("2.9 KB");
    await fireEvent.click(items[1].querySelector("[data-testid=compose-attachment-remove]")!);
    expect(screen.getAllByTestId("compose-attachment")).toHaveLength(1);
    await fireEvent.click(screen.getByTestId("compose-send"));
    await waitFor(() => expect(calls.sent).toHaveLength(1));
    expect(calls.sent[0].attachments).toEqual([{ name: "hello.txt", type: "text/plain", data: btoa("hello") }]);
  });

  it("saves what was typed when it goes away without being closed", async () => {
    const { calls, view } = setup({ autosaveDelay: 60_000 });
    await type("compose-to", "alice@example.com");
    view.unmount();
    await waitFor(() => expect(calls.saved).toHaveLength(1));
    expect(calls.saved[0]).toMatchObject({ to: ["alice@example.com"], draftId: null });
  });

  it("closes an untouched form at once on Escape", async () => {
    const { calls } = setup();
    await fireEvent.keyDown(field("compose-to"), { key: "Escape" });
    expect(calls.closed).toBe(1);
    expect(screen.queryByTestId("compose-confirm")).toBeNull();
  });

  it("asks before discarding a changed form; Discard deletes the draft it saved", async () => {
    const { calls } = setup();
    await type("compose-to", "alice@example.com");
    await fireEvent.keyDown(field("compose-to"), { key: "Escape" });
    const confirm = await screen.findByTestId("compose-confirm");
    expect(confirm.textContent).toMatch(/What you wrote is lost/);
    expect(document.activeElement).toBe(screen.getByTestId("compose-confirm-keep"));
    // Escape in the question keeps editing.
    await fireEvent.keyDown(document.activeElement!, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("compose-confirm")).toBeNull());
    expect(calls.closed).toBe(0);

    await fireEvent.click(screen.getByTestId("compose-save"));
    await waitFor(() => expect(calls.saved).toHaveLength(1));
    await fireEvent.click(screen.getByTestId("compose-discard"));
    expect((await screen.findByTestId("compose-confirm")).textContent).toMatch(/goes to Trash/);
    await fireEvent.click(screen.getByTestId("compose-confirm-discard"));
    await waitFor(() => expect(calls.closed).toBe(1));
    expect(calls.deleted).toEqual([41]);
  });

  it("keeps the draft it was opened from when its changes are discarded", async () => {
    const { calls } = setup({ initial: { ...blankRequest(), to: ["alice@example.com"], draftId: 9 } });
    await type("compose-body", "more");
    await fireEvent.click(screen.getByTestId("compose-discard"));
    expect((await screen.findByTestId("compose-confirm")).textContent).toMatch(/saved draft stays/);
    await fireEvent.click(screen.getByTestId("compose-confirm-discard"));
    await waitFor(() => expect(calls.closed).toBe(1));
    expect(calls.deleted).toEqual([]);
  });

  it("saves and closes from the question", async () => {
    const { calls } = setup();
    await type("compose-to", "alice@example.com");
    await fireEvent.click(screen.getByTestId("compose-discard"));
    await fireEvent.click(await screen.findByTestId("compose-confirm-save"));
    await waitFor(() => expect(calls.closed).toBe(1));
    expect(calls.saved).toHaveLength(1);
    expect(calls.deleted).toEqual([]);
  });

  it("offers the accounts to send from when there are several", async () => {
    const { calls } = setup({ accounts: ["work", "home"], initial: { ...blankRequest("home"), to: ["a@example.com"] } });
    const from = screen.getByTestId("compose-from") as HTMLSelectElement;
    expect(from.value).toBe("home");
    await fireEvent.change(from, { target: { value: "work" } });
    await fireEvent.click(screen.getByTestId("compose-send"));
    await waitFor(() => expect(calls.sent).toHaveLength(1));
    expect(calls.sent[0].account).toBe("work");
  });
});
