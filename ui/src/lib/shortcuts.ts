// The mail view's keyboard shortcuts: a pure keymap from a key press (and
// what has the focus) to an action, and the list the `?` overlay shows.

export type Action =
  | "next"
  | "prev"
  | "open"
  | "compose"
  | "reply"
  | "replyAll"
  | "forward"
  | "search"
  | "delete"
  | "toggleRead"
  | "toggleFlag"
  | "help"
  | "escape";

/** What has the focus: a text field (typing), a control that acts on Enter or Space, or anything else. */
export type Focus = "text" | "control" | "other";

export interface KeyPress {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  focus?: Focus;
}

export interface Shortcut {
  /** Key names as KeyboardEvent.key gives them. */
  keys: readonly string[];
  /** How the overlay writes them. */
  label: string;
  action: Action;
  description: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: ["j"], label: "j", action: "next", description: "Next message" },
  { keys: ["k"], label: "k", action: "prev", description: "Previous message" },
  { keys: ["Enter"], label: "Enter", action: "open", description: "Open the selected message" },
  { keys: ["c"], label: "c", action: "compose", description: "Write a new message" },
  { keys: ["r"], label: "r", action: "reply", description: "Reply" },
  { keys: ["a"], label: "a", action: "replyAll", description: "Reply to all" },
  { keys: ["f"], label: "f", action: "forward", description: "Forward" },
  { keys: ["/"], label: "/", action: "search", description: "Search" },
  { keys: ["Delete", "Backspace"], label: "Delete", action: "delete", description: "Delete (move to Trash)" },
  { keys: ["u"], label: "u", action: "toggleRead", description: "Mark read / unread" },
  { keys: ["s"], label: "s", action: "toggleFlag", description: "Flag / unflag (star)" },
  { keys: ["?"], label: "?", action: "help", description: "Show or hide these shortcuts" },
  { keys: ["Escape"], label: "Esc", action: "escape", description: "Close an overlay; clear the search; close the compose form" },
];

const BY_KEY = new Map<string, Action>(SHORTCUTS.flatMap((s) => s.keys.map((k) => [k, s.action] as const)));

/**
 * The action of a key press, or null. Escape always counts; otherwise nothing
 * while typing in a text field, nothing with Ctrl, Alt or Meta (the app's and
 * the system's shortcuts), and Enter and Space stay with a focused button.
 */
export function keymap(press: KeyPress): Action | null {
  if (press.key === "Escape") return "escape";
  if (press.ctrlKey || press.metaKey || press.altKey) return null;
  if (press.focus === "text") return null;
  if (press.focus === "control" && (press.key === "Enter" || press.key === " ")) return null;
  return BY_KEY.get(press.key) ?? null;
}

const NON_TEXT_INPUTS = new Set(["button", "submit", "reset", "checkbox", "radio", "range", "color", "file", "image"]);

/** Classifies an event's target for `keymap`. */
export function focusKind(target: EventTarget | null): Focus {
  if (!target || typeof (target as Element).tagName !== "string") return "other";
  const el = target as HTMLElement;
  const tag = el.tagName.toUpperCase();
  if (tag === "INPUT") {
    return NON_TEXT_INPUTS.has((el as HTMLInputElement).type) ? "control" : "text";
  }
  if (tag === "TEXTAREA" || tag === "SELECT") return "text";
  if (el.isContentEditable || el.closest?.("[contenteditable]:not([contenteditable='false'])")) return "text";
  if (tag === "BUTTON" || tag === "A" || tag === "SUMMARY") return "control";
  const role = el.getAttribute("role");
  if (role === "button" || role === "link" || role === "checkbox" || role === "menuitem") return "control";
  return "other";
}
