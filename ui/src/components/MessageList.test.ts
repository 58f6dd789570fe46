import "./virtual-list-test-env";
import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import MessageList from "./MessageList.svelte";
import type { ListRow } from "../lib/mail";

function row(id: number, extra: Partial<ListRow> = {}): ListRow {
  return {
    id,
    date: "2024-03-05T10:00:00Z",
    from: `Sender ${id}`,
    subject: `Subject ${id}`,
    flags: ["\\Seen"],
    hasAttachment: false,
    thread: `t${id}`,
    threadSize: 1,
    ...extra,
  };
}

/** A folder of `total` messages with ids 1..total, recording each page asked for. */
function folder(total: number, calls: [number, number][] = []) {
  return async (offset: number, limit: number) => {
    calls.push([offset, limit]);
    const rows: ListRow[] = [];
    for (let i = offset; i < Math.min(total, offset + limit); i++) rows.push(row(i + 1));
    return { total, rows };
  };
}

describe("MessageList", () => {
  it("renders a window of a 100,000-row folder from its first page", async () => {
    const calls: [number, number][] = [];
    render(MessageList, { props: { source: folder(100_000, calls) } });
    const rows = await screen.findAllByTestId("message-row");
    expect(rows[0].dataset.messageId).toBe("1");
    expect(rows[1].dataset.messageId).toBe("2");
    // Virtual: only what fits the viewport (and a buffer) is in the DOM.
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(60);
    expect(calls).toEqual([[0, 200]]);
    const list = screen.getByRole("listbox");
    expect(list.dataset.total).toBe("100000");
    expect(rows[0].getAttribute("aria-setsize")).toBe("100000");
  });

  it("fetches the page the viewport needs and shows placeholders until then", async () => {
    const calls: [number, number][] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const all = folder(100_000);
    render(MessageList, {
      props: {
        source: async (offset: number, limit: number) => {
          calls.push([offset, limit]);
          if (offset > 0) await gate;
          return all(offset, limit);
        },
      },
    });
    await screen.findAllByTestId("message-row");
    const list = screen.getByRole("listbox");
    await fireEvent.keyDown(list, { key: "End" });
    // The last row is selected and mounted, not loaded yet.
    await waitFor(() => expect(calls.map((c) => c[0])).toContain(99_800));
    const last = document.querySelector('[aria-posinset="100000"]') as HTMLElement;
    expect(last.dataset.testid).toBe("message-placeholder");
    expect(last.getAttribute("aria-selected")).toBe("true");
    release();
    await waitFor(() => expect(document.querySelector('[data-message-id="100000"]')).not.toBeNull());
    expect(document.querySelector('[data-message-id="100000"]')!.getAttribute("aria-selected")).toBe("true");
    // Only the pages shown were asked for.
    expect(calls.map((c) => c[0])).toEqual([0, 99_800]);
  });

  it("shows unread, flagged, attachments and conversation sizes", async () => {
    const rows = [
      row(1, { flags: [], hasAttachment: true, threadSize: 3 }),
      row(2, { flags: ["\\Seen", "\\Flagged"] }),
    ];
    render(MessageList, { props: { source: async () => ({ total: 2, rows }), threads: true } });
    const [first, second] = await screen.findAllByTestId("message-row");
    expect(first.classList.contains("unread")).toBe(true);
    expect(first.dataset.unread).toBe("true");
    expect(first.querySelector("[data-testid=has-attachment]")).not.toBeNull();
    expect(first.querySelector("[data-testid=thread-size]")?.textContent).toBe("3");
    expect(first.querySelector("[data-testid=flagged]")).toBeNull();
    expect(second.classList.contains("unread")).toBe(false);
    expect(second.querySelector("[data-testid=flagged]")).not.toBeNull();
    expect(second.querySelector("[data-testid=thread-size]")).toBeNull();
  });

  it("selects with the mouse and the keyboard, and reports the selection", async () => {
    const picked: (number | null)[] = [];
    render(MessageList, {
      props: { source: folder(50), onselect: (r: ListRow | null) => picked.push(r ? r.id : null) },
    });
    const rows = await screen.findAllByTestId("message-row");
    await fireEvent.click(rows[2]);
    expect(rows[2].getAttribute("aria-selected")).toBe("true");
    const list = screen.getByRole("listbox");
    expect(list.getAttribute("aria-activedescendant")).toBe(rows[2].id);
    await fireEvent.keyDown(list, { key: "ArrowDown" });
    await fireEvent.keyDown(list, { key: "ArrowDown" });
    await fireEvent.keyDown(list, { key: "ArrowUp" });
    await waitFor(() => expect(picked.at(-1)).toBe(4));
    expect(picked.filter((p) => p !== null)).toEqual([3, 4, 5, 4]);
  });

  it("shows a search hit's folder and its snippet with the matches marked, as text", async () => {
    const hit = row(9, { folder: "Work", snippet: "the [quarterly] <b>report</b>" });
    render(MessageList, { props: { source: async () => ({ total: 1, rows: [hit] }), showPlace: true } });
    const [r] = await screen.findAllByTestId("message-row");
    const snippet = r.querySelector("[data-testid=snippet]")!;
    expect(snippet.textContent).toContain("Work");
    expect([...snippet.querySelectorAll("mark")].map((m) => m.textContent)).toEqual(["quarterly"]);
    // Mail text is never markup.
    expect(snippet.querySelector("b")).toBeNull();
    expect(snippet.textContent).toContain("<b>report</b>");
  });

  it("patches a row's flags and removes a row, selecting the next", async () => {
    const picked: (number | null)[] = [];
    const { component } = render(MessageList, {
      props: { source: folder(5), onselect: (r: ListRow | null) => picked.push(r ? r.id : null) },
    });
    await screen.findAllByTestId("message-row");
    component.selectIndex(1);
    await waitFor(() => expect(picked.at(-1)).toBe(2));
    component.patch(2, { flags: [] });
    await waitFor(() =>
      expect(document.querySelector('[data-message-id="2"]')!.classList.contains("unread")).toBe(true),
    );
    expect(component.remove(2)).toBe(true);
    await waitFor(() => expect(picked.at(-1)).toBe(3));
    expect(screen.getAllByTestId("message-row").map((r) => r.dataset.messageId)).toEqual(["1", "3", "4", "5"]);
    expect(screen.getByRole("listbox").dataset.total).toBe("4");
  });

  it("says when there is nothing, and shows a loading error with a retry", async () => {
    render(MessageList, { props: { source: async () => ({ total: 0, rows: [] }), emptyText: "Nothing here." } });
    expect((await screen.findByTestId("list-empty")).textContent).toBe("Nothing here.");
  });

  it("shows an error and tries again", async () => {
    let fail = true;
    render(MessageList, {
      props: {
        source: async () => {
          if (fail) throw { code: "io", message: "the index is busy" };
          return { total: 1, rows: [row(1)] };
        },
      },
    });
    expect((await screen.findByTestId("list-error")).textContent).toContain("the index is busy");
    fail = false;
    await fireEvent.click(screen.getByText("Try again"));
    expect((await screen.findAllByTestId("message-row")).length).toBe(1);
  });
});
