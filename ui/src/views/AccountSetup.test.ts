import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import AccountSetup from "./AccountSetup.svelte";
import type { AccountRequest, AccountTest, Preset } from "../lib/api";

const PRESETS: Preset[] = [
  { id: "fastmail", name: "Fastmail", imapHost: "imap.fastmail.com", imapPort: 993, security: "tls",
    smtpHost: "smtp.fastmail.com", smtpPort: 465, note: "Use an app password." },
  { id: "posteo", name: "Posteo", imapHost: "posteo.de", imapPort: 993, security: "tls",
    smtpHost: "posteo.de", smtpPort: 465, note: null },
  { id: "other", name: "Other", imapHost: "", imapPort: 993, security: "tls", smtpHost: null, smtpPort: null, note: null },
];

const OK: AccountTest = { tls: true, capabilities: ["IMAP4rev1", "UIDPLUS"], uidplus: true, folders: ["INBOX", "Sent", "Archive"] };

function setup(extra: Record<string, unknown> = {}) {
  const calls = {
    loadPresets: vi.fn(async () => PRESETS),
    test: vi.fn(async (_r: AccountRequest) => OK),
    add: vi.fn(async (_r: AccountRequest) => {}),
    onAdded: vi.fn(),
  };
  render(AccountSetup, { props: { ...calls, ...extra } });
  return calls;
}

const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;
async function type(id: string, value: string) {
  await fireEvent.input(input(id), { target: { value } });
}
async function fillBasics() {
  await type("account-name", "Personal");
  await type("account-host", "imap.example.com");
  await type("account-user", "alice@example.com");
  await type("account-password", "secret");
}

describe("AccountSetup", () => {
  it("fills the server from a preset and shows its note", async () => {
    setup();
    const select = screen.getByTestId("preset") as HTMLSelectElement;
    await waitFor(() => expect(select.options.length).toBe(3)); // Fastmail, Posteo, Other (once)
    await fireEvent.change(select, { target: { value: "fastmail" } });
    expect(input("account-host").value).toBe("imap.fastmail.com");
    expect(input("account-port").value).toBe("993");
    expect(input("account-name").value).toBe("Fastmail");
    expect(input("account-smtp-host").value).toBe("smtp.fastmail.com");
    expect(screen.getByTestId("preset-note").textContent).toBe("Use an app password.");
  });

  it("follows the usual port when the connection type changes", async () => {
    setup();
    await fireEvent.change(screen.getByTestId("account-security"), { target: { value: "starttls" } });
    expect(input("account-port").value).toBe("143");
    await type("account-port", "1143");
    await fireEvent.change(screen.getByTestId("account-security"), { target: { value: "tls" } });
    expect(input("account-port").value).toBe("1143");
  });

  it("tests the connection and says what the server can do", async () => {
    const test = vi.fn(async (_r: AccountRequest) => ({ ...OK, uidplus: false }));
    setup({ test });
    await fillBasics();
    await fireEvent.click(screen.getByTestId("account-test"));
    const result = await screen.findByTestId("account-test-result");
    expect(result.textContent).toContain("Connected");
    expect(screen.getByTestId("test-tls").textContent).toContain("Yes");
    expect(screen.getByTestId("test-uidplus").textContent).toMatch(/No — .*keeps them/);
    expect(screen.getByTestId("test-folders").textContent).toBe("3 folders");
    expect(test).toHaveBeenCalledWith({
      name: "Personal", host: "imap.example.com", port: 993, security: "tls", user: "alice@example.com",
      password: "secret", caFile: null, smtpHost: null, smtpPort: null,
    });
    // Editing the form makes the result stale.
    await type("account-host", "imap.other.example");
    expect(screen.queryByTestId("account-test-result")).toBeNull();
  });

  const cases: [string, string, RegExp, RegExp][] = [
    ["login_refused", "login failed for alice", /refused the login/, /app password/],
    ["certificate_untrusted", "unknown issuer", /certificate is not trusted/, /CA file/],
    ["network", "connection refused", /could not be reached/, /check the host, the port/],
    ["capability_missing", "the server offers no STARTTLS", /does not offer STARTTLS/, /TLS \(usually port 993\)/],
    ["capability_missing", "the server lacks UIDPLUS", /lacks UIDPLUS/, /exactly the originals/],
    ["capability_missing", "the server lacks MOVE", /lacks a feature/, /lacks a feature Coffer needs/],
  ];
  for (const [code, message, title, body] of cases) {
    it(`explains ${code}: ${message}`, async () => {
      setup({ test: async () => { throw { code, message }; } });
      await fillBasics();
      await fireEvent.click(screen.getByTestId("account-test"));
      const error = await screen.findByTestId("account-error");
      expect(error.getAttribute("role")).toBe("alert");
      expect(error.querySelector("h3")!.textContent).toMatch(title);
      expect(error.textContent).toContain(message);
      expect(error.textContent).toMatch(body);
    });
  }

  it("says what is missing without calling the server", async () => {
    const { test } = setup();
    await type("account-name", "Personal");
    await fireEvent.click(screen.getByTestId("account-test"));
    expect((await screen.findByTestId("account-error")).textContent).toContain("Enter the IMAP server");
    expect(test).not.toHaveBeenCalled();
  });

  it("adds the account and clears the password", async () => {
    const { add, onAdded } = setup();
    await fillBasics();
    await type("account-ca", " /etc/ca.pem ");
    await type("account-smtp-host", "smtp.example.com");
    await type("account-smtp-port", "587");
    await fireEvent.click(screen.getByTestId("account-add"));
    await waitFor(() => expect(onAdded).toHaveBeenCalledWith("Personal"));
    expect(add).toHaveBeenCalledWith(expect.objectContaining({
      caFile: "/etc/ca.pem", smtpHost: "smtp.example.com", smtpPort: 587,
    }));
    expect(input("account-password").value).toBe("");
  });

  it("shows why adding failed", async () => {
    const { onAdded } = setup({ add: async () => { throw { code: "account_exists", message: "an account named Personal exists" }; } });
    await fillBasics();
    await fireEvent.click(screen.getByTestId("account-add"));
    const error = await screen.findByTestId("account-error");
    expect(error.textContent).toContain("an account named Personal exists");
    expect(onAdded).not.toHaveBeenCalled();
  });

  it("starts from a prefill (the demo)", () => {
    setup({
      prefill: { name: "Demo", host: "127.0.0.1", port: 3993, security: "tls", user: "demo", password: "pw", caFile: "/tmp/ca.pem" },
    });
    expect(input("account-name").value).toBe("Demo");
    expect(input("account-host").value).toBe("127.0.0.1");
    expect(input("account-port").value).toBe("3993");
    expect(input("account-user").value).toBe("demo");
    expect(input("account-password").value).toBe("pw");
    expect(input("account-ca").value).toBe("/tmp/ca.pem");
  });
});
