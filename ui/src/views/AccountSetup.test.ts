import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import AccountSetup from "./AccountSetup.svelte";
import type { AccountRequest, AccountTest, OAuthAccountRequest, OAuthProvider, Preset } from "../lib/api";

const PRESETS: Preset[] = [
  { id: "fastmail", name: "Fastmail", imapHost: "imap.fastmail.com", imapPort: 993, security: "tls",
    smtpHost: "smtp.fastmail.com", smtpPort: 465, note: "Use an app password." },
  { id: "posteo", name: "Posteo", imapHost: "posteo.de", imapPort: 993, security: "tls",
    smtpHost: "posteo.de", smtpPort: 465, note: null },
  { id: "other", name: "Other", imapHost: "", imapPort: 993, security: "tls", smtpHost: null, smtpPort: null, note: null },
];

const OK: AccountTest = {
  tls: true, capabilities: ["IMAP4rev1", "UIDPLUS", "IDLE"], uidplus: true, folders: ["INBOX", "Sent", "Archive"],
  deletion: "uid_expunge",
  report: [
    { capability: "Gmail (X-GM-EXT-1)", offered: false, coffer_does: "folders are folders: sealing works as described below" },
    { capability: "UIDPLUS", offered: true, coffer_does: "deletion path: originals are removed with UID EXPUNGE of exactly their UIDs" },
    { capability: "MOVE", offered: false, coffer_does: "not needed for deletion (UIDPLUS is there); used to move mail" },
    { capability: "IDLE", offered: true, coffer_does: "watch hears of new mail in INBOX at once (IDLE); other folders are polled" },
  ],
};

const NO_CLIENT = "no OAuth client ID for Google: this build of Coffer has none, and none is set. Register an app with Google (see docs/PROVIDERS.md), then pass it with --oauth-client-id";
const PROVIDERS: OAuthProvider[] = [
  { provider: "microsoft", label: "Microsoft 365 / Outlook.com", imapHost: "outlook.office365.com", imapPort: 993,
    smtpHost: "smtp.office365.com", smtpPort: 587, missing: null },
  { provider: "google", label: "Google", imapHost: "imap.gmail.com", imapPort: 993,
    smtpHost: "smtp.gmail.com", smtpPort: 465, missing: NO_CLIENT },
];

function setup(extra: Record<string, unknown> = {}) {
  const calls = {
    loadPresets: vi.fn(async () => PRESETS),
    test: vi.fn(async (_r: AccountRequest) => OK),
    add: vi.fn(async (_r: AccountRequest) => {}),
    loadOAuthProviders: vi.fn(async () => PROVIDERS),
    signIn: vi.fn(async (_r: OAuthAccountRequest) => OK),
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
    const test = vi.fn(async (_r: AccountRequest) => ({ ...OK, uidplus: false, deletion: "move_to_purge" as const }));
    setup({ test });
    await fillBasics();
    await fireEvent.click(screen.getByTestId("account-test"));
    const result = await screen.findByTestId("account-test-result");
    expect(result.textContent).toContain("Connected");
    expect(screen.getByTestId("test-tls").textContent).toContain("Yes");
    expect(screen.getByTestId("test-deletion").textContent).toMatch(/Deletion path:.*No UIDPLUS, but MOVE/);
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
    ["capability_missing", "the server offers neither UIDPLUS nor MOVE", /cannot remove originals safely/, /exactly the originals/],
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

  it("shows the capability report after a test, the deletion path first", async () => {
    setup();
    await fillBasics();
    await fireEvent.click(screen.getByTestId("account-test"));
    const report = await screen.findByTestId("capability-report");
    expect(screen.getByTestId("test-deletion").textContent).toMatch(/Deletion path:.*UID EXPUNGE of exactly its UID/);
    const rows = within(report).getAllByTestId("capability-row");
    expect(rows.map((r) => r.querySelector("th")!.textContent)).toEqual(["Gmail (X-GM-EXT-1)", "UIDPLUS", "MOVE", "IDLE"]);
    expect([...rows[1].querySelectorAll("td")].map((td) => td.textContent)).toEqual([
      "Yes", "deletion path: originals are removed with UID EXPUNGE of exactly their UIDs",
    ]);
    expect(rows[2].querySelector("td")!.textContent).toBe("No");
  });

  it("signs in with Microsoft with the form's name and address, waiting for the browser", async () => {
    let finish: (t: AccountTest) => void = () => {};
    const signIn = vi.fn((_r: OAuthAccountRequest) => new Promise<AccountTest>((resolve) => (finish = resolve)));
    const { onAdded } = setup({ signIn });
    await type("account-name", " Work ");
    await type("account-user", "alice@example.com");
    const button = await screen.findByTestId("oauth-microsoft");
    expect(button.textContent).toContain("Sign in with Microsoft");
    expect(screen.queryByTestId("oauth-missing-microsoft")).toBeNull();
    await fireEvent.click(button);
    expect(signIn).toHaveBeenCalledWith({
      name: "Work", provider: "microsoft", user: "alice@example.com", clientId: null, tenant: null,
    });
    const waiting = screen.getByTestId("oauth-waiting");
    expect(waiting.getAttribute("role")).toBe("status");
    expect(waiting.textContent).toContain("Finish signing in in your browser… (waiting up to 5 minutes)");
    expect((screen.getByTestId("account-add") as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId("oauth-google") as HTMLButtonElement).disabled).toBe(true);

    finish(OK);
    const result = await screen.findByTestId("account-test-result");
    expect(screen.queryByTestId("oauth-waiting")).toBeNull();
    expect(result.querySelector("h3")!.textContent).toBe("Signed in and added “Work”");
    expect(within(result).getAllByTestId("capability-row")).toHaveLength(4);
    // The account exists now: the form is gone, "Continue" goes on as "Add account" does.
    expect(screen.queryByTestId("account-add")).toBeNull();
    expect(onAdded).not.toHaveBeenCalled();
    const next = screen.getByTestId("oauth-continue");
    await waitFor(() => expect(document.activeElement).toBe(next));
    await fireEvent.click(next);
    expect(onAdded).toHaveBeenCalledWith("Work");
  });

  it("says plainly when a provider has no client ID, and signs in with one typed in", async () => {
    const { signIn } = setup();
    const missing = await screen.findByTestId("oauth-missing-google");
    expect(missing.textContent).toContain(NO_CLIENT);
    expect(missing.textContent).toContain("paste a client ID below");
    const google = screen.getByTestId("oauth-google") as HTMLButtonElement;
    expect(google.disabled).toBe(true);
    expect((screen.getByTestId("oauth-microsoft") as HTMLButtonElement).disabled).toBe(false);
    // Only Microsoft has tenants.
    expect(screen.queryByTestId("oauth-tenant")).toBeNull();
    await type("account-name", "Gmail");
    await type("account-user", "alice@gmail.com");
    await type("oauth-client-id", " 123-abc.apps.googleusercontent.com ");
    expect(google.disabled).toBe(false);
    await fireEvent.click(google);
    await waitFor(() => expect(signIn).toHaveBeenCalledWith({
      name: "Gmail", provider: "google", user: "alice@gmail.com", clientId: "123-abc.apps.googleusercontent.com", tenant: null,
    }));
  });

  it("shows the client ID field when signing in finds none configured", async () => {
    const message = "no OAuth client ID for Microsoft: register an app (see docs/PROVIDERS.md)";
    const signIn = vi.fn()
      .mockRejectedValueOnce({ code: "oauth_client_missing", message })
      .mockResolvedValue(OK);
    setup({ signIn, loadOAuthProviders: async () => PROVIDERS.map((p) => ({ ...p, missing: null })) });
    await type("account-name", "Work");
    await type("account-user", "alice@firm.example");
    expect(screen.queryByTestId("oauth-client-id")).toBeNull();
    await fireEvent.click(await screen.findByTestId("oauth-microsoft"));
    expect((await screen.findByTestId("oauth-missing-microsoft")).textContent).toContain(message);
    await waitFor(() => expect(document.activeElement).toBe(input("oauth-client-id")));
    expect((screen.getByTestId("oauth-microsoft") as HTMLButtonElement).disabled).toBe(true);
    await type("oauth-client-id", "11111111-2222-3333-4444-555555555555");
    await type("oauth-tenant", "firm.onmicrosoft.com");
    await fireEvent.click(screen.getByTestId("oauth-microsoft"));
    await screen.findByTestId("account-test-result");
    expect(signIn).toHaveBeenLastCalledWith({
      name: "Work", provider: "microsoft", user: "alice@firm.example",
      clientId: "11111111-2222-3333-4444-555555555555", tenant: "firm.onmicrosoft.com",
    });
  });

  const oauthCases: [string, string, RegExp, RegExp][] = [
    ["cancelled", "the browser sign-in timed out", /not finished in time/, /waits 5 minutes/],
    ["login_refused", "access_denied: the user declined", /sign-in was refused/, /address above/],
    ["capability_missing", "the server offers neither UIDPLUS nor MOVE", /cannot remove originals safely/, /exactly the originals/],
  ];
  for (const [code, message, title, body] of oauthCases) {
    it(`explains a sign-in that ends with ${code}`, async () => {
      const { onAdded } = setup({ signIn: async () => { throw { code, message }; } });
      await type("account-name", "Work");
      await type("account-user", "alice@firm.example");
      await fireEvent.click(await screen.findByTestId("oauth-microsoft"));
      const error = await screen.findByTestId("account-error");
      expect(error.querySelector("h3")!.textContent).toMatch(title);
      expect(error.textContent).toContain(message);
      expect(error.textContent).toMatch(body);
      expect(screen.queryByTestId("oauth-waiting")).toBeNull();
      expect(onAdded).not.toHaveBeenCalled();
    });
  }

  it("asks for the name and the address before opening the browser", async () => {
    const { signIn } = setup();
    await fireEvent.click(await screen.findByTestId("oauth-microsoft"));
    expect((await screen.findByTestId("account-error")).textContent).toContain("Give the account a name");
    await type("account-name", "Work");
    await fireEvent.click(screen.getByTestId("oauth-microsoft"));
    expect((await screen.findByTestId("account-error")).textContent).toContain("Enter your Microsoft 365 / Outlook.com email address");
    expect(signIn).not.toHaveBeenCalled();
  });

  it("starts from a prefill (the demo)", () => {
    const { loadOAuthProviders } = setup({
      prefill: { name: "Demo", host: "127.0.0.1", port: 3993, security: "tls", user: "demo", password: "pw", caFile: "/tmp/ca.pem" },
    });
    expect(input("account-name").value).toBe("Demo");
    expect(input("account-host").value).toBe("127.0.0.1");
    expect(input("account-port").value).toBe("3993");
    expect(input("account-user").value).toBe("demo");
    expect(input("account-password").value).toBe("pw");
    expect(input("account-ca").value).toBe("/tmp/ca.pem");
    // The demo's server is given: no sign-in buttons.
    expect(screen.queryByTestId("oauth-microsoft")).toBeNull();
    expect(loadOAuthProviders).not.toHaveBeenCalled();
  });
});
