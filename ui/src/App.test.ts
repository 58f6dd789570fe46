import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import type { AccountInfo, SessionInfo } from "./lib/api";
import { FINGERPRINT, FULL_PROFILE, RECIPIENT } from "./test/profiles";

// Every command the shell and its screens call, as fakes (the real ones need Tauri).
const api = vi.hoisted(() => ({
  sessionInfo: vi.fn(),
  accounts: vi.fn(),
  lock: vi.fn(),
  lockAndStop: vi.fn(),
  unlock: vi.fn(),
  watchStatus: vi.fn(),
  onWatchStatus: vi.fn(),
  passphraseStrength: vi.fn(),
  createVault: vi.fn(),
  confirmVault: vi.fn(),
  cancelVault: vi.fn(),
  recoverVault: vi.fn(),
  presets: vi.fn(),
  testAccount: vi.fn(),
  addAccount: vi.fn(),
  oauthProviders: vi.fn(),
  addOAuthAccount: vi.fn(),
  sealPlan: vi.fn(),
  sealStart: vi.fn(),
  onSealProgress: vi.fn(),
  settings: vi.fn(),
}));
vi.mock("./lib/api", async (importOriginal) => ({ ...(await importOriginal<object>()), ...api }));
// The mail view is another component's business; a stand-in shows "decrypted" text.
vi.mock("./views/Mail.svelte", () => import("./test/MailStub.svelte"));

import App from "./App.svelte";

const VAULT = { dir: "/tmp/vault", state: "present" as const, version: "9.9.9" };
const DEMO = { host: "127.0.0.1", port: 3993, security: "tls" as const, user: "demo", password: "demo-pw", caFile: "/tmp/demo-ca.pem" };
const ACCOUNT: AccountInfo = {
  name: "Personal", imap_host: "imap.example.com", imap_port: 993, username: "alice", security: "tls",
  ca_file: null, smtp: null, oauth: null, created_at: 0,
};

function session(s: SessionInfo["session"], over: Partial<SessionInfo> = {}): SessionInfo {
  return { session: s, vault: { ...VAULT, state: s === "absent" ? "absent" : "present" }, demo: null, autoLockMinutes: 0, escrow: null, profile: null, ...over };
}

beforeEach(() => {
  for (const f of Object.values(api)) f.mockReset();
  api.accounts.mockResolvedValue([ACCOUNT]);
  api.lock.mockResolvedValue(undefined);
  api.lockAndStop.mockResolvedValue(undefined);
  api.unlock.mockResolvedValue(undefined);
  api.watchStatus.mockResolvedValue({
    account: "Personal", state: "up_to_date", sealing: 0, retryInSeconds: null, reason: null, locked: false, sealedTotal: 0,
  });
  api.onWatchStatus.mockResolvedValue(() => {});
  api.passphraseStrength.mockImplementation(async (p: string) => ({
    score: p.length >= 20 ? 4 : 1, acceptable: p.length >= 20, warning: null, suggestions: [], crackTime: "centuries",
  }));
  api.presets.mockResolvedValue([]);
  api.oauthProviders.mockResolvedValue([]);
  api.onSealProgress.mockResolvedValue(() => {});
  api.settings.mockResolvedValue({ autoLockMinutes: 0, bodyCacheBytes: 0, bodyCacheUsedBytes: 0 });
});
afterEach(() => vi.useRealTimers());

describe("App", () => {
  it("starts on the first run without a vault; the audit stays reachable", async () => {
    api.sessionInfo.mockResolvedValue(session("absent"));
    render(App);
    expect((await screen.findByTestId("headline")).textContent).toBe("No vault yet");
    expect(screen.getByTestId("vault-detail").textContent).toContain("/tmp/vault");
    expect(screen.getByTestId("version").textContent).toBe("v9.9.9");
    expect(screen.queryByTestId("lock")).toBeNull();
    expect(screen.queryByTestId("try-demo")).toBeNull();
    await fireEvent.click(screen.getByTestId("nav-audit"));
    expect(await screen.findByRole("heading", { name: "Audit a mailbox" })).toBeTruthy();
    await fireEvent.click(screen.getByTestId("nav-home"));
    expect(await screen.findByTestId("create-vault")).toBeTruthy();
  });

  it("unlocks into the mail view, and locking removes the mail from the page", async () => {
    api.sessionInfo.mockResolvedValueOnce(session("locked")).mockResolvedValue(session("unlocked"));
    render(App);
    const field = await screen.findByTestId("unlock-passphrase");
    expect(screen.getByTestId("nav-audit")).toBeTruthy();
    expect(await screen.findByTestId("watch-status")).toBeTruthy();
    await fireEvent.input(field, { target: { value: "pw" } });
    await fireEvent.click(screen.getByTestId("unlock-submit"));
    expect(await screen.findByTestId("mail-view")).toBeTruthy();
    expect(api.unlock).toHaveBeenCalledWith("pw");
    expect(document.body.textContent).toContain("Dinner on Friday?");

    await fireEvent.click(screen.getByTestId("lock"));
    expect(api.lock).toHaveBeenCalled();
    expect(screen.queryByTestId("mail-view")).toBeNull();
    expect(document.body.textContent).not.toContain("Dinner on Friday?");
    expect(await screen.findByTestId("unlock-passphrase")).toBeTruthy();
    expect(screen.queryByTestId("nav-settings")).toBeNull();
  });

  it("opens with the recovery key when the passphrase is forgotten", async () => {
    api.sessionInfo.mockResolvedValueOnce(session("locked")).mockResolvedValue(session("unlocked"));
    api.recoverVault.mockResolvedValue(undefined);
    const strong = "correct horse battery staple";
    render(App);
    await fireEvent.click(await screen.findByTestId("forgot-passphrase"));
    await fireEvent.input(screen.getByTestId("recover-key"), { target: { value: "AAAA-BBBB-CCCC" } });
    await fireEvent.input(screen.getByTestId("recover-passphrase"), { target: { value: strong } });
    await fireEvent.input(screen.getByTestId("recover-repeat"), { target: { value: strong } });
    const submit = screen.getByTestId("recover-submit") as HTMLButtonElement;
    await waitFor(() => expect(submit.disabled).toBe(false));
    await fireEvent.click(submit);
    expect(await screen.findByTestId("mail-view")).toBeTruthy();
    expect(api.recoverVault).toHaveBeenCalledWith("AAAA-BBBB-CCCC", strong);
    expect(api.unlock).not.toHaveBeenCalled();
  });

  it("locks and stops sealing from the lock menu", async () => {
    api.sessionInfo.mockResolvedValue(session("unlocked"));
    render(App);
    await screen.findByTestId("mail-view");
    expect(screen.queryByTestId("lock-stop")).toBeNull();
    const more = screen.getByTestId("lock-more");
    await fireEvent.click(more);
    expect(more.getAttribute("aria-expanded")).toBe("true");
    await fireEvent.click(screen.getByTestId("lock-stop"));
    expect(api.lockAndStop).toHaveBeenCalled();
    expect(api.lock).not.toHaveBeenCalled();
    expect(await screen.findByTestId("unlock-passphrase")).toBeTruthy();
    expect(screen.queryByTestId("mail-view")).toBeNull();
  });

  it("still hides the mail when locking fails, and says so", async () => {
    api.sessionInfo.mockResolvedValue(session("unlocked"));
    api.lock.mockRejectedValue({ code: "internal", message: "boom" });
    render(App);
    await screen.findByTestId("mail-view");
    await fireEvent.click(screen.getByTestId("lock"));
    expect(screen.queryByTestId("mail-view")).toBeNull();
    expect((await screen.findByTestId("unlock-notice")).textContent).toBe("Locking failed: boom");
  });

  it("switches views with Alt+1..4", async () => {
    api.sessionInfo.mockResolvedValue(session("unlocked"));
    render(App);
    await screen.findByTestId("mail-view");
    await fireEvent.keyDown(window, { key: "4", code: "Digit4", altKey: true });
    expect(await screen.findByRole("heading", { name: "Settings" })).toBeTruthy();
    expect(screen.getByTestId("nav-settings").getAttribute("aria-current")).toBe("page");
    expect(screen.queryByTestId("mail-view")).toBeNull();
    await fireEvent.keyDown(window, { key: "3", code: "Digit3", altKey: true });
    expect(await screen.findByRole("heading", { name: "Audit a mailbox" })).toBeTruthy();
    // A layout that types another character on Alt+1 still has the Digit1 code.
    await fireEvent.keyDown(window, { key: "¡", code: "Digit1", altKey: true });
    expect(await screen.findByTestId("mail-view")).toBeTruthy();
  });

  it("locks by itself after the idle minutes", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    api.sessionInfo.mockResolvedValue(session("unlocked", { autoLockMinutes: 5 }));
    render(App);
    await screen.findByTestId("mail-view");
    await vi.advanceTimersByTimeAsync(4 * 60_000);
    await fireEvent.keyDown(window, { key: "j" });
    await vi.advanceTimersByTimeAsync(4 * 60_000);
    expect(api.lock).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(api.lock).toHaveBeenCalledTimes(1);
    expect(screen.queryByTestId("mail-view")).toBeNull();
    expect(screen.getByTestId("unlock-passphrase")).toBeTruthy();
  });

  it("asks for the first account, then offers to seal it", async () => {
    api.sessionInfo.mockResolvedValue(session("unlocked"));
    api.accounts.mockResolvedValueOnce([]).mockResolvedValue([ACCOUNT]);
    api.addAccount.mockResolvedValue(undefined);
    api.sealPlan.mockResolvedValue({
      account: "Personal", folders: [{ name: "INBOX", toSeal: 5, alreadySealed: 0, bytes: 5000 }],
      messages: 5, bytes: 5000, estimateSeconds: 3, warnings: [],
    });
    render(App);
    expect(await screen.findByRole("heading", { name: "Connect your first account" })).toBeTruthy();
    await fireEvent.input(screen.getByTestId("account-name"), { target: { value: "Personal" } });
    await fireEvent.input(screen.getByTestId("account-host"), { target: { value: "imap.example.com" } });
    await fireEvent.input(screen.getByTestId("account-user"), { target: { value: "alice" } });
    await fireEvent.input(screen.getByTestId("account-password"), { target: { value: "pw" } });
    await fireEvent.click(screen.getByTestId("account-add"));
    expect(await screen.findByTestId("seal-start")).toBeTruthy();
    expect(api.sealPlan).toHaveBeenCalledWith("Personal");
    await fireEvent.click(screen.getByTestId("seal-not-now"));
    expect(await screen.findByTestId("mail-view")).toBeTruthy();
  });

  it("signs in with Microsoft for the first account, shows the report, then offers to seal it", async () => {
    api.sessionInfo.mockResolvedValue(session("unlocked"));
    api.accounts.mockResolvedValueOnce([]).mockResolvedValue([{ ...ACCOUNT, name: "Work", oauth: "microsoft" }]);
    api.oauthProviders.mockResolvedValue([
      { provider: "microsoft", label: "Microsoft 365 / Outlook.com", imapHost: "outlook.office365.com", imapPort: 993,
        smtpHost: "smtp.office365.com", smtpPort: 587, missing: null },
    ]);
    api.addOAuthAccount.mockResolvedValue({
      tls: true, capabilities: ["UIDPLUS"], uidplus: true, folders: ["INBOX"], deletion: "uid_expunge",
      report: [{ capability: "UIDPLUS", offered: true, coffer_does: "deletion path: UID EXPUNGE" }],
    });
    api.sealPlan.mockResolvedValue({
      account: "Work", folders: [{ name: "INBOX", toSeal: 5, alreadySealed: 0, bytes: 5000 }],
      messages: 5, bytes: 5000, estimateSeconds: 3, warnings: [],
    });
    render(App);
    expect(await screen.findByRole("heading", { name: "Connect your first account" })).toBeTruthy();
    await fireEvent.input(screen.getByTestId("account-name"), { target: { value: "Work" } });
    await fireEvent.input(screen.getByTestId("account-user"), { target: { value: "alice@firm.example" } });
    await fireEvent.click(await screen.findByTestId("oauth-microsoft"));
    expect(await screen.findByTestId("capability-report")).toBeTruthy();
    expect(api.addOAuthAccount).toHaveBeenCalledWith(expect.objectContaining({ name: "Work", provider: "microsoft" }));
    await fireEvent.click(screen.getByTestId("oauth-continue"));
    expect(await screen.findByTestId("seal-start")).toBeTruthy();
    expect(api.sealPlan).toHaveBeenCalledWith("Work");
  });

  it("runs the demo: a vault first, then the demo account filled in", async () => {
    api.sessionInfo.mockResolvedValueOnce(session("absent", { demo: DEMO })).mockResolvedValue(session("unlocked", { demo: DEMO }));
    api.accounts.mockResolvedValue([]);
    api.createVault.mockResolvedValue({ recoveryKey: "AAAA-BBBB-CCCC-DDDD", confirmGroups: [2, 4] });
    api.confirmVault.mockResolvedValue(undefined);
    render(App);
    await fireEvent.click(await screen.findByTestId("try-demo"));
    const strong = "correct horse battery staple";
    await fireEvent.input(screen.getByTestId("new-passphrase"), { target: { value: strong } });
    await fireEvent.input(screen.getByTestId("repeat-passphrase"), { target: { value: strong } });
    await waitFor(() => expect((screen.getByTestId("create-submit") as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByTestId("create-submit"));
    await fireEvent.click(await screen.findByTestId("recovery-saved"));
    const groups = screen.getAllByTestId("confirm-group");
    await fireEvent.input(groups[0], { target: { value: "BBBB" } });
    await fireEvent.input(groups[1], { target: { value: "DDDD" } });
    await fireEvent.click(screen.getByTestId("confirm-submit"));
    expect(await screen.findByRole("heading", { name: "Connect the demo mailbox" })).toBeTruthy();
    expect(api.confirmVault).toHaveBeenCalledWith(["BBBB", "DDDD"]);
    const value = (id: string) => (screen.getByTestId(id) as HTMLInputElement).value;
    expect(value("account-name")).toBe("Demo");
    expect(value("account-host")).toBe("127.0.0.1");
    expect(value("account-port")).toBe("3993");
    expect(value("account-user")).toBe("demo");
    expect(value("account-password")).toBe("demo-pw");
    expect(value("account-ca")).toBe("/tmp/demo-ca.pem");
  });

  it("keeps a seal run going while the mail is open, with its progress on the Seal button", async () => {
    api.sessionInfo.mockResolvedValue(session("unlocked"));
    api.sealPlan.mockResolvedValue({
      account: "Personal", folders: [{ name: "INBOX", toSeal: 10, alreadySealed: 0, bytes: 1000 }],
      messages: 10, bytes: 1000, estimateSeconds: 3, warnings: [],
    });
    let emit: (p: unknown) => void = () => {};
    api.onSealProgress.mockImplementation(async (cb: (p: unknown) => void) => ((emit = cb), () => {}));
    api.sealStart.mockReturnValue(new Promise(() => {}));
    render(App);
    await screen.findByTestId("mail-view");
    await fireEvent.click(screen.getByTestId("nav-seal"));
    await fireEvent.click(await screen.findByTestId("seal-start"));
    await waitFor(() => expect(api.sealStart).toHaveBeenCalledWith("Personal"));
    emit({
      account: "Personal", state: "running", folders: [], done: 4, total: 10, bytesDone: 400, bytesTotal: 1000, rate: 100, etaSeconds: 6,
    });
    await fireEvent.click(screen.getByTestId("nav-mail"));
    expect(await screen.findByTestId("mail-view")).toBeTruthy();
    expect(screen.getByTestId("seal-badge").textContent).toBe("40%");
    // Back on the Seal view: the same run, not a new plan.
    await fireEvent.click(screen.getByTestId("nav-seal"));
    expect(screen.getByTestId("seal-numbers").textContent).toContain("4 of 10 messages");
    expect(api.sealPlan).toHaveBeenCalledTimes(1);
  });

  it("shows a start-up error and tries again", async () => {
    api.sessionInfo.mockRejectedValueOnce({ code: "io", message: "no home directory" }).mockResolvedValue(session("absent"));
    render(App);
    expect((await screen.findByTestId("error")).textContent).toBe("no home directory");
    await fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByTestId("create-vault")).toBeTruthy();
  });

  it("shows Escrow on in the header while unlocked, with the fingerprint, and the same in Settings", async () => {
    const escrow = { recipient: RECIPIENT, fingerprint: FINGERPRINT };
    api.sessionInfo.mockResolvedValue(session("unlocked", { escrow, profile: FULL_PROFILE }));
    render(App);
    await screen.findByTestId("mail-view");
    const badge = screen.getByTestId("escrow-badge");
    expect(badge.textContent).toContain("Escrow on");
    expect(badge.getAttribute("title")).toBe(
      `Escrow is on: every new seal is also encrypted to Example GmbH's key. Fingerprint: ${FINGERPRINT}`,
    );
    await fireEvent.click(screen.getByTestId("nav-settings"));
    expect((await screen.findByTestId("escrow-fingerprint")).textContent).toBe(FINGERPRINT);
    expect(screen.getByTestId("profile-policies")).toBeTruthy();
    // Still in the header on every view; gone once locked.
    expect(screen.getByTestId("escrow-badge")).toBeTruthy();
    await fireEvent.click(screen.getByTestId("lock"));
    expect(screen.queryByTestId("escrow-badge")).toBeNull();
  });

  it("shows no escrow badge when escrow is off", async () => {
    api.sessionInfo.mockResolvedValue(session("unlocked"));
    render(App);
    await screen.findByTestId("mail-view");
    expect(screen.queryByTestId("escrow-badge")).toBeNull();
    await fireEvent.click(screen.getByTestId("nav-settings"));
    expect((await screen.findByTestId("escrow-status")).textContent).toContain("Escrow is off");
  });

  it("shows the installed profile on the first run", async () => {
    api.sessionInfo.mockResolvedValue(session("absent", { profile: FULL_PROFILE }));
    render(App);
    const notice = await screen.findByTestId("profile-notice");
    expect(notice.textContent).toContain("Provisioned by Example GmbH");
    expect(notice.textContent).toContain(FINGERPRINT);
    expect(screen.queryByTestId("escrow-badge")).toBeNull();
  });
});
