import { describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import Audit from "./Audit.svelte";
import type { AuditReport, AuditRequest } from "../lib/api";

const report: AuditReport = {
  format: "coffer-audit/3",
  coffer_version: "0.1.0",
  scanned_at: "2026-01-01T00:00:00Z",
  server: { host: "127.0.0.1", port: 993, security: "tls", certificate_sha256: "AB:CD", user: "alice" },
  structure: "sampled",
  totals: { total: 4, sealed: 3, plaintext: 1, other_encryption: 0, malformed_seal: 0, withheld: 0 },
  folders: [{ name: "INBOX", uid_validity: 1, counts: { total: 4, sealed: 3, plaintext: 1, other_encryption: 0, malformed_seal: 0, withheld: 0 } }],
  findings: [{ folder: "INBOX", uid: 4, internaldate: "2024-02-01T09:00:00Z", size: 2048, kind: "plaintext",
    detail: "readable by the provider", keyed_hash: "00", hash_covers_whole_message: true }],
  visible_metadata: { header_names: ["From", "X-Coffer-Seal"], size_buckets: { "8192": 3 },
    earliest_date: null, latest_date: null, recipient_counts: { "1": 3 }, flags: {} },
  verification: null,
  clean: false,
  only_ciphertext: false,
  digest: "feedface",
};

async function fill(server: string) {
  await fireEvent.input(screen.getByLabelText(/IMAP server/), { target: { value: server } });
  await fireEvent.input(screen.getByLabelText(/User/), { target: { value: "alice" } });
  await fireEvent.input(screen.getByLabelText(/Password/), { target: { value: "pw" } });
}

describe("Audit view", () => {
  it("sends the form, shows the report and exports it", async () => {
    let sent: AuditRequest | null = null;
    render(Audit, {
      props: {
        run: async (r: AuditRequest) => ((sent = r), report),
        exportReport: async (f: "json" | "html") => `/tmp/report.${f}`,
        subscribe: async () => () => {},
      },
    });
    await fill("imap.example.com");
    await fireEvent.click(screen.getByTestId("run-audit"));
    expect((await screen.findByTestId("audit-verdict")).textContent).toContain("1 finding(s)");
    expect(sent).toMatchObject({ host: "imap.example.com", port: 993, user: "alice", security: "tls", caFile: null });
    expect(screen.getByTestId("findings").textContent).toContain("Plaintext");
    expect(screen.getByTestId("digest").textContent).toBe("feedface");
    // The password field is cleared after the scan.
    expect((screen.getByLabelText(/Password/) as HTMLInputElement).value).toBe("");
    await fireEvent.click(screen.getByTestId("export-html"));
    expect((await screen.findByTestId("exported")).textContent).toContain("/tmp/report.html");
  });

  it("explains a bad server address without calling the backend", async () => {
    let called = false;
    render(Audit, { props: { run: async () => ((called = true), report), subscribe: async () => () => {} } });
    await fill("h:70000");
    await fireEvent.click(screen.getByTestId("run-audit"));
    expect((await screen.findByTestId("audit-error")).textContent).toBe("70000 is not a port number");
    expect(called).toBe(false);
  });

  it("shows a backend error", async () => {
    render(Audit, {
      props: {
        run: async () => { throw { code: "audit_failed", message: "login failed for alice" }; },
        subscribe: async () => () => {},
      },
    });
    await fill("h:993");
    await fireEvent.click(screen.getByTestId("run-audit"));
    expect((await screen.findByTestId("audit-error")).textContent).toBe("login failed for alice");
  });
});
