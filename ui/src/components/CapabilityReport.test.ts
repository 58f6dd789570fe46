import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/svelte";
import CapabilityReport from "./CapabilityReport.svelte";
import type { AccountTest } from "../lib/api";

function test(over: Partial<AccountTest> = {}): AccountTest {
  return {
    tls: true, capabilities: [], uidplus: false, folders: [], deletion: "move_to_purge",
    report: [
      { capability: "UIDPLUS", offered: false, coffer_does: "deletion path: moved to Coffer's folder" },
      { capability: "MOVE", offered: true, coffer_does: "used to remove originals by way of the folder" },
      { capability: "APPENDLIMIT", offered: false, coffer_does: "the server states no size limit" },
    ],
    ...over,
  };
}

describe("CapabilityReport", () => {
  it("puts the deletion path first, then one row per line of the report", () => {
    render(CapabilityReport, { props: { test: test() } });
    const deletion = screen.getByTestId("test-deletion");
    expect(deletion.dataset.deletion).toBe("move_to_purge");
    expect(deletion.textContent).toMatch(/^Deletion path: No UIDPLUS, but MOVE/);
    const rows = screen.getAllByTestId("capability-row");
    expect(rows.map((r) => [...r.children].map((c) => c.textContent))).toEqual([
      ["UIDPLUS", "No", "deletion path: moved to Coffer's folder"],
      ["MOVE", "Yes", "used to remove originals by way of the folder"],
      ["APPENDLIMIT", "No", "the server states no size limit"],
    ]);
    expect(screen.getByRole("table").querySelector("caption")!.textContent).toContain("what Coffer does");
  });

  it("says plainly that originals would be kept", () => {
    render(CapabilityReport, { props: { test: test({ deletion: "keep", report: [] }) } });
    const deletion = screen.getByTestId("test-deletion");
    expect(deletion.classList.contains("keep")).toBe(true);
    expect(deletion.textContent).toContain("KEPT on the server");
    expect(screen.queryByTestId("capability-report")).toBeNull();
  });
});
