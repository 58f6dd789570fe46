import { describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import FolderList from "./FolderList.svelte";
import type { Folder } from "../lib/api";

const folders: Folder[] = [
  { account: "work", name: "Projects", total: 3, unread: 0 },
  { account: "work", name: "Trash", total: 2, unread: 0 },
  { account: "work", name: "Sent", total: 9, unread: 0 },
  { account: "work", name: "INBOX", total: 12, unread: 4 },
  { account: "work", name: "Archive", total: 1, unread: 1 },
  { account: "home", name: "receipts", total: 5, unread: 0 },
  { account: "home", name: "INBOX", total: 2, unread: 0 },
];

describe("FolderList", () => {
  it("groups by account and puts INBOX first, then the special folders, then the rest", () => {
    render(FolderList, { props: { folders } });
    const buttons = screen.getAllByTestId("folder");
    expect(buttons.map((b) => `${b.dataset.account}:${b.dataset.folder}`)).toEqual([
      "work:INBOX", "work:Sent", "work:Archive", "work:Trash", "work:Projects",
      "home:INBOX", "home:receipts",
    ]);
    expect(screen.getByText("work")).toBeTruthy();
    expect(screen.getByText("home")).toBeTruthy();
  });

  it("shows the unread counts", () => {
    render(FolderList, { props: { folders } });
    const inbox = screen.getAllByTestId("folder")[0];
    expect(inbox.textContent).toContain("Inbox");
    expect(inbox.querySelector("[data-testid=unread-count]")?.textContent).toBe("4");
    // None where nothing is unread.
    expect(screen.getAllByTestId("folder")[1].querySelector("[data-testid=unread-count]")).toBeNull();
  });

  it("marks the selected folder and reports a click", async () => {
    let chosen: Folder | null = null;
    render(FolderList, {
      props: { folders, selected: { account: "home", name: "INBOX" }, onselect: (f: Folder) => (chosen = f) },
    });
    const current = screen.getAllByTestId("folder").filter((b) => b.getAttribute("aria-current") === "true");
    expect(current.map((b) => `${b.dataset.account}:${b.dataset.folder}`)).toEqual(["home:INBOX"]);
    await fireEvent.click(screen.getAllByTestId("folder")[2]);
    expect(chosen).toMatchObject({ account: "work", name: "Archive" });
  });
});
