import { describe, expect, it } from "vitest";
import { SHORTCUTS, focusKind, keymap } from "./shortcuts";

describe("keymap", () => {
  it("maps each shortcut", () => {
    expect(keymap({ key: "j" })).toBe("next");
    expect(keymap({ key: "k" })).toBe("prev");
    expect(keymap({ key: "Enter" })).toBe("open");
    expect(keymap({ key: "c" })).toBe("compose");
    expect(keymap({ key: "r" })).toBe("reply");
    expect(keymap({ key: "a" })).toBe("replyAll");
    expect(keymap({ key: "f" })).toBe("forward");
    expect(keymap({ key: "/" })).toBe("search");
    expect(keymap({ key: "Delete" })).toBe("delete");
    expect(keymap({ key: "u" })).toBe("toggleRead");
    expect(keymap({ key: "s" })).toBe("toggleFlag");
    expect(keymap({ key: "?" })).toBe("help");
    expect(keymap({ key: "Escape" })).toBe("escape");
    expect(keymap({ key: "x" })).toBeNull();
    expect(keymap({ key: "J" })).toBeNull();
  });

  it("ignores keys while typing, except Escape", () => {
    for (const key of ["j", "k", "/", "u", "s", "?", "Delete", "Enter", "c", "r", "a", "f"]) {
      expect(keymap({ key, focus: "text" })).toBeNull();
    }
    expect(keymap({ key: "Escape", focus: "text" })).toBe("escape");
  });

  it("leaves Enter and Space to a focused button, and modified keys to the app", () => {
    expect(keymap({ key: "Enter", focus: "control" })).toBeNull();
    expect(keymap({ key: " ", focus: "control" })).toBeNull();
    expect(keymap({ key: "j", focus: "control" })).toBe("next");
    expect(keymap({ key: "j", ctrlKey: true })).toBeNull();
    expect(keymap({ key: "1", altKey: true })).toBeNull();
    // Ctrl+Enter sends from the compose form, never a list action.
    expect(keymap({ key: "Enter", ctrlKey: true })).toBeNull();
    expect(keymap({ key: "s", metaKey: true })).toBeNull();
  });

  it("lists every action once for the overlay", () => {
    const actions = SHORTCUTS.map((s) => s.action);
    expect(new Set(actions).size).toBe(actions.length);
    expect(actions).toEqual(
      expect.arrayContaining([
        "next", "prev", "open", "compose", "reply", "replyAll", "forward", "search", "delete", "toggleRead",
        "toggleFlag", "help", "escape",
      ]),
    );
  });
});

describe("focusKind", () => {
  it("tells text fields from controls", () => {
    const el = (html: string) => {
      const div = document.createElement("div");
      div.innerHTML = html;
      return div.firstElementChild;
    };
    expect(focusKind(el("<input>"))).toBe("text");
    expect(focusKind(el('<input type="search">'))).toBe("text");
    expect(focusKind(el('<input type="checkbox">'))).toBe("control");
    expect(focusKind(el("<textarea></textarea>"))).toBe("text");
    expect(focusKind(el("<select></select>"))).toBe("text");
    expect(focusKind(el('<div contenteditable="true"></div>'))).toBe("text");
    expect(focusKind(el("<button></button>"))).toBe("control");
    expect(focusKind(el("<div></div>"))).toBe("other");
    expect(focusKind(null)).toBe("other");
    expect(focusKind(window)).toBe("other");
  });
});
