import { describe, expect, it } from "vitest";
import { createRawSnippet } from "svelte";
import { fireEvent, render, screen } from "@testing-library/svelte";
import Modal from "./Modal.svelte";

const children = createRawSnippet(() => ({
  render: () =>
    `<div><button type="button" data-testid="first">First</button><button type="button" data-testid="last" data-autofocus>Last</button></div>`,
}));

function open(isolate: boolean) {
  const before = document.createElement("button");
  document.body.append(before);
  before.focus();
  let closed = 0;
  const view = render(Modal, { props: { onclose: () => closed++, isolate, children, "data-testid": "modal" } });
  return { before, view, closed: () => closed };
}

describe("Modal", () => {
  it("takes the focus to the marked element and gives it back when it closes", () => {
    const { before, view } = open(false);
    const dialog = screen.getByTestId("modal");
    expect(dialog.getAttribute("role")).toBe("dialog");
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect(document.activeElement).toBe(screen.getByTestId("last"));
    view.unmount();
    expect(document.activeElement).toBe(before);
    before.remove();
  });

  it("closes on a click on the backdrop, not inside the dialog", async () => {
    const { before, closed } = open(false);
    await fireEvent.click(screen.getByTestId("first"));
    await fireEvent.click(screen.getByTestId("modal"));
    expect(closed()).toBe(0);
    await fireEvent.click(screen.getByTestId("modal").parentElement!);
    expect(closed()).toBe(1);
    before.remove();
  });

  it("isolated: keeps the keys, closes on Escape and cycles Tab through its buttons", async () => {
    const { before, closed } = open(true);
    let reached = 0;
    const count = () => reached++;
    window.addEventListener("keydown", count);
    try {
      await fireEvent.keyDown(screen.getByTestId("last"), { key: "Tab" });
      expect(document.activeElement).toBe(screen.getByTestId("first"));
      await fireEvent.keyDown(screen.getByTestId("first"), { key: "Tab", shiftKey: true });
      expect(document.activeElement).toBe(screen.getByTestId("last"));
      await fireEvent.keyDown(screen.getByTestId("last"), { key: "j" });
      expect(reached).toBe(0);
      await fireEvent.keyDown(screen.getByTestId("last"), { key: "Escape" });
      expect(closed()).toBe(1);
    } finally {
      window.removeEventListener("keydown", count);
      before.remove();
    }
  });

  it("not isolated: the page's shortcuts still get the keys (they close it)", async () => {
    const { before, closed } = open(false);
    let reached = 0;
    const count = () => reached++;
    window.addEventListener("keydown", count);
    try {
      await fireEvent.keyDown(screen.getByTestId("last"), { key: "Escape" });
      expect(reached).toBe(1);
      expect(closed()).toBe(0);
    } finally {
      window.removeEventListener("keydown", count);
      before.remove();
    }
  });
});
