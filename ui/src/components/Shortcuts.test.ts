import { describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import Shortcuts from "./Shortcuts.svelte";
import { SHORTCUTS } from "../lib/shortcuts";

describe("Shortcuts", () => {
  it("lists every shortcut and closes", async () => {
    let closed = 0;
    render(Shortcuts, { props: { onclose: () => closed++ } });
    const overlay = screen.getByTestId("shortcuts");
    expect(overlay.getAttribute("role")).toBe("dialog");
    const listed = screen.getAllByTestId("shortcut").map((r) => r.dataset.action);
    expect(listed).toEqual(SHORTCUTS.map((s) => s.action));
    for (const s of SHORTCUTS) expect(overlay.textContent).toContain(s.description);
    expect(document.activeElement).toBe(screen.getByTestId("shortcuts-close"));
    await fireEvent.click(screen.getByTestId("shortcuts-close"));
    expect(closed).toBe(1);
  });
});
