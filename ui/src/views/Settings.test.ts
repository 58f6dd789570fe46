import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import Settings from "./Settings.svelte";
import type { AccountInfo, AccountRequest, Settings as SettingsT, Strength } from "../lib/api";
import { EMPTY_PROFILE, FINGERPRINT, FULL_PROFILE, RECIPIENT } from "../test/profiles";

const STRONG = "correct horse battery staple";
const ACCOUNTS: AccountInfo[] = [
  { name: "Personal", imap_host: "imap.example.com", imap_port: 993, username: "alice", security: "tls",
    ca_file: null, smtp: null, oauth: null, created_at: 0 },
  { name: "Work", imap_host: "mail.work.example", imap_port: 143, username: "a.smith", security: "starttls",
    ca_file: null, smtp: null, oauth: null, created_at: 0 },
];
const OFFICE: AccountInfo = {
  name: "Office", imap_host: "outlook.office365.com", imap_port: 993, username: "alice@firm.example", security: "tls",
  ca_file: null, smtp: "smtp.office365.com:587", oauth: "microsoft", created_at: 0,
};

async function checkStrength(p: string): Promise<Strength> {
  const ok = p.length >= 20;
  return { score: ok ? 4 : 1, acceptable: ok, warning: null, suggestions: [], crackTime: ok ? "centuries" : "minutes" };
}

function setup(extra: Record<string, unknown> = {}) {
  let list = [...ACCOUNTS];
  const calls = {
    loadSettings: vi.fn(async (): Promise<SettingsT> => ({ autoLockMinutes: 10, bodyCacheBytes: 512_000_000, bodyCacheUsedBytes: 123_400_000 })),
    saveSettings: vi.fn(async (a: number, b: number): Promise<SettingsT> => ({ autoLockMinutes: a, bodyCacheBytes: b, bodyCacheUsedBytes: 123_400_000 })),
    change: vi.fn(async (_c: string, _n: string) => {}),
    reveal: vi.fn(async (p: string) => {
      if (p !== "pw") throw { code: "wrong_passphrase", message: "wrong passphrase" };
      return "AAAA-BBBB-CCCC";
    }),
    listAccounts: vi.fn(async () => list),
    remove: vi.fn(async (name: string) => {
      list = list.filter((a) => a.name !== name);
    }),
    renewSignIn: vi.fn(async (_name: string) => {}),
    onSettings: vi.fn(),
    onAccountsChanged: vi.fn(),
  };
  const add = vi.fn(async (r: AccountRequest) => {
    list = [...list, { ...ACCOUNTS[0], name: r.name }];
  });
  render(Settings, {
    props: {
      checkStrength,
      accountSetup: { loadPresets: async () => [], add, test: vi.fn(), loadOAuthProviders: async () => [] },
      ...calls,
      ...extra,
    },
  });
  return { ...calls, add };
}

const input = (id: string) => screen.getByTestId(id) as HTMLInputElement;

describe("Settings", () => {
  it("shows and saves auto-lock and the cache size", async () => {
    const s = setup();
    await waitFor(() => expect(input("settings-autolock").value).toBe("10"));
    expect(input("settings-cache").value).toBe("512");
    expect(screen.getByTestId("settings-cache-used").textContent).toContain("123 MB in use");
    await fireEvent.input(input("settings-autolock"), { target: { value: "0" } });
    await fireEvent.input(input("settings-cache"), { target: { value: "256" } });
    await fireEvent.click(screen.getByTestId("settings-save"));
    await waitFor(() => expect(screen.getByTestId("settings-saved")).toBeTruthy());
    expect(s.saveSettings).toHaveBeenCalledWith(0, 256_000_000);
    expect(s.onSettings).toHaveBeenCalledWith(expect.objectContaining({ autoLockMinutes: 0 }));
  });

  it("refuses a negative auto-lock", async () => {
    const s = setup();
    await waitFor(() => expect(input("settings-autolock").value).toBe("10"));
    await fireEvent.input(input("settings-autolock"), { target: { value: "-3" } });
    await fireEvent.click(screen.getByTestId("settings-save"));
    expect((await screen.findByTestId("settings-error")).textContent).toContain("whole number of minutes");
    expect(s.saveSettings).not.toHaveBeenCalled();
  });

  it("changes the passphrase once the new one is strong and repeated", async () => {
    const s = setup();
    const submit = screen.getByTestId("change-submit") as HTMLButtonElement;
    await fireEvent.input(input("current-passphrase"), { target: { value: "old passphrase" } });
    await fireEvent.input(input("new-passphrase"), { target: { value: "too short" } });
    await fireEvent.input(input("repeat-passphrase"), { target: { value: "too short" } });
    await screen.findByTestId("strength-need");
    expect(submit.disabled).toBe(true);
    await fireEvent.input(input("new-passphrase"), { target: { value: STRONG } });
    await fireEvent.input(input("repeat-passphrase"), { target: { value: STRONG } });
    await waitFor(() => expect(submit.disabled).toBe(false));
    await fireEvent.click(submit);
    expect(await screen.findByTestId("change-done")).toBeTruthy();
    expect(s.change).toHaveBeenCalledWith("old passphrase", STRONG);
    expect(input("current-passphrase").value).toBe("");
  });

  it("shows a wrong current passphrase", async () => {
    setup({ change: async () => { throw { code: "wrong_passphrase", message: "wrong passphrase" }; } });
    await fireEvent.input(input("current-passphrase"), { target: { value: "nope" } });
    await fireEvent.input(input("new-passphrase"), { target: { value: STRONG } });
    await fireEvent.input(input("repeat-passphrase"), { target: { value: STRONG } });
    await waitFor(() => expect((screen.getByTestId("change-submit") as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByTestId("change-submit"));
    expect((await screen.findByTestId("change-error")).textContent).toContain("wrong passphrase");
  });

  it("shows the recovery key after the passphrase, and hides it again", async () => {
    setup();
    await fireEvent.input(input("reveal-passphrase"), { target: { value: "bad" } });
    await fireEvent.click(screen.getByTestId("reveal-submit"));
    expect((await screen.findByTestId("reveal-error")).textContent).toContain("wrong passphrase");
    await fireEvent.input(input("reveal-passphrase"), { target: { value: "pw" } });
    await fireEvent.click(screen.getByTestId("reveal-submit"));
    expect((await screen.findByTestId("settings-recovery-key")).textContent).toBe("AAAA-BBBB-CCCC");
    await fireEvent.click(screen.getByTestId("hide-recovery-key"));
    expect(screen.queryByTestId("settings-recovery-key")).toBeNull();
    expect(document.activeElement).toBe(input("reveal-passphrase"));
    expect(input("reveal-passphrase").value).toBe("");
  });

  it("removes an account only after confirming", async () => {
    const s = setup();
    const list = await screen.findByTestId("account-list");
    expect(list.textContent).toContain("Personal");
    expect(list.textContent).toContain("a.smith · mail.work.example:143 · STARTTLS");
    await fireEvent.click(screen.getByRole("button", { name: "Remove Work" }));
    expect(s.remove).not.toHaveBeenCalled();
    const group = screen.getByRole("group", { name: "Remove Work?" });
    // "Keep" backs out.
    await fireEvent.click(within(group).getByRole("button", { name: "Keep" }));
    expect(screen.queryByRole("group")).toBeNull();
    await fireEvent.click(screen.getByRole("button", { name: "Remove Work" }));
    await fireEvent.click(screen.getByTestId("confirm-remove"));
    await waitFor(() => expect(s.remove).toHaveBeenCalledWith("Work"));
    await waitFor(() => expect(screen.getByTestId("account-list").textContent).not.toContain("Work"));
    expect(s.onAccountsChanged).toHaveBeenCalled();
  });

  it("adds an account with the account form", async () => {
    const s = setup();
    await screen.findByTestId("account-list");
    await fireEvent.click(screen.getByTestId("settings-add-account"));
    await fireEvent.input(input("account-name"), { target: { value: "Club" } });
    await fireEvent.input(input("account-host"), { target: { value: "imap.club.example" } });
    await fireEvent.input(input("account-user"), { target: { value: "me" } });
    await fireEvent.input(input("account-password"), { target: { value: "pw" } });
    await fireEvent.click(screen.getByTestId("account-add"));
    await waitFor(() => expect(screen.getByTestId("account-list").textContent).toContain("Club"));
    expect(s.add).toHaveBeenCalledWith(expect.objectContaining({ name: "Club", host: "imap.club.example" }));
    expect(s.onAccountsChanged).toHaveBeenCalled();
    expect(screen.queryByTestId("account-add")).toBeNull();
  });

  it("says how an OAuth account signs in, and signs in again", async () => {
    let finish: () => void = () => {};
    const renewSignIn = vi.fn((_name: string) => new Promise<void>((resolve) => (finish = resolve)));
    const s = setup({ listAccounts: vi.fn(async () => [...ACCOUNTS, OFFICE]), renewSignIn });
    const list = await screen.findByTestId("account-list");
    // Only the OAuth account has the button, and says whom it signs in with.
    expect(screen.getAllByTestId("sign-in-again")).toHaveLength(1);
    expect(screen.getAllByTestId("account-oauth").map((e) => e.textContent)).toEqual(["signs in with Microsoft"]);
    expect(list.textContent).toContain("alice@firm.example · outlook.office365.com:993 · TLS · signs in with Microsoft");
    await fireEvent.click(screen.getByRole("button", { name: "Sign in again to Office" }));
    expect(renewSignIn).toHaveBeenCalledWith("Office");
    expect(screen.getByTestId("sign-in-again-waiting").textContent).toContain("Finish signing in in your browser… (waiting up to 5 minutes)");
    expect((screen.getByTestId("sign-in-again") as HTMLButtonElement).disabled).toBe(true);
    finish();
    expect((await screen.findByTestId("sign-in-again-done")).textContent).toContain("Signed in again");
    expect(screen.queryByTestId("sign-in-again-waiting")).toBeNull();
    expect(s.onAccountsChanged).toHaveBeenCalled();
  });

  it("shows why signing in again failed", async () => {
    setup({
      listAccounts: vi.fn(async () => [OFFICE]),
      renewSignIn: async () => { throw { code: "cancelled", message: "the browser sign-in timed out after 5 minutes" }; },
    });
    await fireEvent.click(await screen.findByTestId("sign-in-again"));
    expect((await screen.findByTestId("accounts-error")).textContent).toContain("timed out after 5 minutes");
    expect(screen.queryByTestId("sign-in-again-done")).toBeNull();
    expect((screen.getByTestId("sign-in-again") as HTMLButtonElement).disabled).toBe(false);
  });

  describe("organisation escrow and the profile", () => {
    const ESCROW = { recipient: RECIPIENT, fingerprint: FINGERPRINT };

    it("says plainly that escrow is off", () => {
      setup();
      const status = screen.getByTestId("escrow-status");
      expect(status.textContent).toContain("Escrow is off: only this vault's key opens its seals.");
      expect(status.getAttribute("data-escrow")).toBe("off");
      expect(screen.queryByTestId("escrow-fingerprint")).toBeNull();
      expect(screen.queryByTestId("profile-policies")).toBeNull();
    });

    it("says plainly that escrow is on, to whose key, and that the profile set it", () => {
      setup({ escrow: ESCROW, profile: FULL_PROFILE });
      const status = screen.getByTestId("escrow-status");
      expect(status.getAttribute("data-escrow")).toBe("on");
      expect(status.textContent).toContain(
        `Escrow is ON: every new seal is also encrypted to Example GmbH's key. Fingerprint: ${FINGERPRINT}`,
      );
      const fp = screen.getByTestId("escrow-fingerprint");
      expect(fp.textContent).toBe(FINGERPRINT);
      expect(fp.classList.contains("mono")).toBe(true);
      expect(screen.getByTestId("escrow-source").textContent).toContain("Set by your organisation's profile");
      // Shown, never changed here.
      expect(within(status).queryByRole("button")).toBeNull();
    });

    it("says whose key without a profile, and where escrow set by hand is changed", () => {
      setup({ escrow: ESCROW });
      expect(screen.getByTestId("escrow-status").textContent).toContain(
        "Escrow is ON: every new seal is also encrypted to your organisation's key.",
      );
      expect(screen.getByTestId("escrow-source").textContent).not.toContain("profile");
      expect(screen.getByTestId("escrow-source").textContent).toContain("coffer escrow");
    });

    it("lists the provisioning profile's policies", () => {
      setup({ escrow: ESCROW, profile: FULL_PROFILE });
      const section = screen.getByTestId("profile-policies");
      expect(section.textContent).toContain("provisioned by Example GmbH");
      const items = [...section.querySelectorAll("li")].map((li) => li.textContent?.trim());
      expect(items).toContain(`Escrow: every new seal is also encrypted to Example GmbH's key. Fingerprint: ${FINGERPRINT}`);
      expect(items).toContain("Passphrase strength at least 4/4 (“Very strong”).");
      expect(items).toContain("Locks itself after at most 10 idle minutes; auto-lock cannot be turned off.");
      expect(items).toContain("Folders left unsealed: Shared/Calendar, Journal.");
      expect(items).toContain("Messages larger than 26.2 MB are left unsealed.");
    });

    it("says so when the profile sets nothing", () => {
      setup({ profile: EMPTY_PROFILE });
      expect(screen.getByTestId("profile-policies").textContent).toContain("It sets no policies");
      expect(input("settings-autolock").max).toBe("1440");
    });

    it("caps auto-lock at the profile's maximum, and never 'never'", async () => {
      const s = setup({ profile: FULL_PROFILE });
      await waitFor(() => expect(input("settings-autolock").value).toBe("10"));
      expect(input("settings-autolock").max).toBe("10");
      expect(input("settings-autolock").min).toBe("1");
      expect(screen.getByTestId("settings-autolock-hint").textContent).toContain("At most 10 minutes (your organisation's profile)");
      await fireEvent.input(input("settings-autolock"), { target: { value: "30" } });
      await fireEvent.click(screen.getByTestId("settings-save"));
      expect((await screen.findByTestId("settings-error")).textContent).toBe(
        "Your organisation's profile sets auto-lock (minutes) to at most 10; 30 is not allowed.",
      );
      await fireEvent.input(input("settings-autolock"), { target: { value: "0" } });
      await fireEvent.click(screen.getByTestId("settings-save"));
      await waitFor(() => expect(screen.getByTestId("settings-error").textContent).toContain("it cannot be turned off"));
      expect(s.saveSettings).not.toHaveBeenCalled();
      await fireEvent.input(input("settings-autolock"), { target: { value: "5" } });
      await fireEvent.click(screen.getByTestId("settings-save"));
      await waitFor(() => expect(screen.getByTestId("settings-saved")).toBeTruthy());
      expect(s.saveSettings).toHaveBeenCalledWith(5, 512_000_000);
      expect(screen.queryByTestId("settings-error")).toBeNull();
    });

    it("shows the engine's refusal of an auto-lock time", async () => {
      // The session's profile allows 10 minutes; the vault's (newer) allows 3.
      const refusal = "your organisation's profile sets auto-lock (minutes) to at most 3; 5 is not allowed";
      const saveSettings = vi.fn(async (_a: number, _b: number): Promise<SettingsT> => {
        throw { code: "bad_request", message: refusal };
      });
      setup({ profile: FULL_PROFILE, saveSettings });
      await waitFor(() => expect(input("settings-autolock").value).toBe("10"));
      await fireEvent.input(input("settings-autolock"), { target: { value: "5" } });
      await fireEvent.click(screen.getByTestId("settings-save"));
      expect((await screen.findByTestId("settings-error")).textContent).toBe(refusal);
      expect(saveSettings).toHaveBeenCalledWith(5, 512_000_000);
      expect(screen.queryByTestId("settings-saved")).toBeNull();
    });

    it("needs the profile's higher strength for a new passphrase", async () => {
      const graded = async (p: string): Promise<Strength> => {
        const score = p.length >= 40 ? 4 : p.length >= 20 ? 3 : 1;
        return { score, acceptable: score >= 3, warning: null, suggestions: [], crackTime: "years" };
      };
      const s = setup({ profile: FULL_PROFILE, checkStrength: graded });
      const submit = screen.getByTestId("change-submit") as HTMLButtonElement;
      expect(screen.getByTestId("strength-policy").textContent).toBe("Your organisation requires strength 4/4 (“Very strong”).");
      await fireEvent.input(input("current-passphrase"), { target: { value: "old passphrase" } });
      await fireEvent.input(input("new-passphrase"), { target: { value: STRONG } });
      await fireEvent.input(input("repeat-passphrase"), { target: { value: STRONG } });
      await waitFor(() => expect(screen.getByTestId("strength-label").textContent).toBe("Strong"));
      expect(screen.getByTestId("strength-need")).toBeTruthy();
      expect(submit.disabled).toBe(true);
      const longer = `${STRONG} lantern harbour`;
      await fireEvent.input(input("new-passphrase"), { target: { value: longer } });
      await fireEvent.input(input("repeat-passphrase"), { target: { value: longer } });
      await waitFor(() => expect(submit.disabled).toBe(false));
      await fireEvent.click(submit);
      expect(await screen.findByTestId("change-done")).toBeTruthy();
      expect(s.change).toHaveBeenCalledWith("old passphrase", longer);
    });
  });
});
