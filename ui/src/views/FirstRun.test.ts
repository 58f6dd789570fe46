import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import FirstRun from "./FirstRun.svelte";
import type { DemoAccount, Strength } from "../lib/api";
import { FINGERPRINT, FULL_PROFILE } from "../test/profiles";

const STRONG = "correct horse battery staple";
const KEY = "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH";
const vault = { dir: "/home/u/.local/share/coffer", state: "absent" as const, version: "0.1.0" };
const demo: DemoAccount = {
  host: "127.0.0.1", port: 3993, security: "tls", user: "demo", password: "demo", caFile: "/tmp/ca.pem",
};

/** Acceptable from 20 characters on. */
async function checkStrength(p: string): Promise<Strength> {
  const ok = p.length >= 20;
  return {
    score: ok ? 4 : 1,
    acceptable: ok,
    warning: ok ? null : "Too short.",
    suggestions: ok ? [] : ["Add words."],
    crackTime: ok ? "centuries" : "2 minutes",
  };
}

function setup(extra: Record<string, unknown> = {}) {
  const calls = {
    create: vi.fn(async (_p: string) => ({ recoveryKey: KEY, confirmGroups: [3, 7] })),
    confirm: vi.fn(async (_g: string[]) => {}),
    cancel: vi.fn(async () => {}),
    recover: vi.fn(async (_k: string, _p: string) => {}),
    saveKey: vi.fn(),
    print: vi.fn(),
    onDone: vi.fn(),
  };
  render(FirstRun, { props: { vault, checkStrength, ...calls, ...extra } });
  return calls;
}

async function typeIn(testid: string, value: string) {
  await fireEvent.input(screen.getByTestId(testid), { target: { value } });
}

const submitButton = () => screen.getByTestId("create-submit") as HTMLButtonElement;

async function createUpToKey() {
  await fireEvent.click(screen.getByTestId("create-vault"));
  await typeIn("new-passphrase", STRONG);
  await typeIn("repeat-passphrase", STRONG);
  await waitFor(() => expect(submitButton().disabled).toBe(false));
  await fireEvent.click(submitButton());
  return screen.findByTestId("recovery-key");
}

describe("FirstRun", () => {
  it("says where the vault goes and offers the choices (no demo without one)", () => {
    setup();
    expect(screen.getByTestId("headline").textContent).toBe("No vault yet");
    expect(screen.getByTestId("vault-detail").textContent).toContain(vault.dir);
    expect(screen.getByTestId("create-vault")).toBeTruthy();
    expect(screen.getByTestId("restore-vault")).toBeTruthy();
    expect(screen.queryByTestId("try-demo")).toBeNull();
  });

  it("keeps Create disabled until the passphrase is strong and repeated", async () => {
    const { create } = setup();
    await fireEvent.click(screen.getByTestId("create-vault"));
    expect(submitButton().disabled).toBe(true);

    await typeIn("new-passphrase", "short one");
    await typeIn("repeat-passphrase", "short one");
    expect(await screen.findByTestId("strength-need")).toBeTruthy();
    expect(screen.getByTestId("strength-warning").textContent).toBe("Too short.");
    expect(submitButton().disabled).toBe(true);

    await typeIn("new-passphrase", STRONG);
    await waitFor(() => expect(screen.getByTestId("strength-label").textContent).toBe("Very strong"));
    expect(screen.getByTestId("repeat-hint").textContent).toContain("differ");
    expect(submitButton().disabled).toBe(true);

    await typeIn("repeat-passphrase", STRONG);
    expect(submitButton().disabled).toBe(false);
    // Changing the passphrase disables it again until the new text is checked.
    await typeIn("new-passphrase", STRONG + "!");
    expect(submitButton().disabled).toBe(true);
    expect(create).not.toHaveBeenCalled();
  });

  it("shows the key once, then sends the re-typed groups in order", async () => {
    const { create, confirm, saveKey, print, onDone } = setup();
    const key = await createUpToKey();
    expect(create).toHaveBeenCalledWith(STRONG);
    expect(key.textContent).toBe(KEY);
    expect(key.querySelectorAll(".group")).toHaveLength(8);

    await fireEvent.click(screen.getByRole("button", { name: "Save as file" }));
    expect(saveKey).toHaveBeenCalledWith(KEY);
    await fireEvent.click(screen.getByRole("button", { name: "Print" }));
    expect(print).toHaveBeenCalled();

    await fireEvent.click(screen.getByTestId("recovery-saved"));
    expect(screen.queryByTestId("recovery-key")).toBeNull();
    const inputs = screen.getAllByTestId("confirm-group");
    expect(inputs).toHaveLength(2);
    expect(screen.getByLabelText("Group 3")).toBe(inputs[0]);
    expect(screen.getByLabelText("Group 7")).toBe(inputs[1]);

    await fireEvent.input(inputs[0], { target: { value: " cccc " } });
    await fireEvent.input(inputs[1], { target: { value: "GGGG" } });
    await fireEvent.click(screen.getByTestId("confirm-submit"));
    await waitFor(() => expect(onDone).toHaveBeenCalledWith({ demo: false }));
    expect(confirm).toHaveBeenCalledWith(["CCCC", "GGGG"]);
  });

  it("names a group that does not match, without asking the engine", async () => {
    const { confirm } = setup();
    await createUpToKey();
    await fireEvent.click(screen.getByTestId("recovery-saved"));
    const inputs = screen.getAllByTestId("confirm-group");
    await fireEvent.input(inputs[0], { target: { value: "CCCC" } });
    await fireEvent.input(inputs[1], { target: { value: "HHHH" } });
    await fireEvent.click(screen.getByTestId("confirm-submit"));
    expect((await screen.findByRole("alert")).textContent).toContain("Group 7 does not match");
    expect(inputs[1].getAttribute("aria-invalid")).toBe("true");
    expect(confirm).not.toHaveBeenCalled();
    // The key can be seen again.
    await fireEvent.click(screen.getByRole("button", { name: "Show the key again" }));
    expect(screen.getByTestId("recovery-key").textContent).toBe(KEY);
  });

  it("shows the engine's refusal of the confirmation", async () => {
    const { onDone } = setup({
      confirm: async () => {
        throw { code: "bad_recovery_key", message: "the groups do not match the key" };
      },
    });
    await createUpToKey();
    await fireEvent.click(screen.getByTestId("recovery-saved"));
    const inputs = screen.getAllByTestId("confirm-group");
    await fireEvent.input(inputs[0], { target: { value: "CCCC" } });
    await fireEvent.input(inputs[1], { target: { value: "GGGG" } });
    await fireEvent.click(screen.getByTestId("confirm-submit"));
    expect((await screen.findByRole("alert")).textContent).toBe("the groups do not match the key");
    expect(onDone).not.toHaveBeenCalled();
  });

  it("Back from the key cancels the pending vault", async () => {
    const { cancel } = setup();
    await createUpToKey();
    await fireEvent.click(screen.getByRole("button", { name: "Back" }));
    await waitFor(() => expect(cancel).toHaveBeenCalled());
    expect(await screen.findByTestId("create-vault")).toBeTruthy();
    expect(screen.queryByText(KEY)).toBeNull();
  });

  it("shows why the engine refused the passphrase", async () => {
    setup({
      create: async () => {
        throw { code: "passphrase_rejected", message: "the passphrase is too easy to guess" };
      },
    });
    await fireEvent.click(screen.getByTestId("create-vault"));
    await typeIn("new-passphrase", STRONG);
    await typeIn("repeat-passphrase", STRONG);
    await waitFor(() => expect(submitButton().disabled).toBe(false));
    await fireEvent.click(submitButton());
    expect((await screen.findByRole("alert")).textContent).toBe("the passphrase is too easy to guess");
  });

  it("restores from a recovery key with a new passphrase", async () => {
    const { recover, onDone } = setup();
    await fireEvent.click(screen.getByTestId("restore-vault"));
    const submit = screen.getByTestId("restore-submit") as HTMLButtonElement;
    await typeIn("new-passphrase", STRONG);
    await typeIn("repeat-passphrase", STRONG);
    await waitFor(() => expect(screen.getByTestId("strength-label").textContent).toBe("Very strong"));
    expect(submit.disabled).toBe(true); // no key yet
    await typeIn("restore-key", `  ${KEY}\n`);
    expect(submit.disabled).toBe(false);
    await fireEvent.click(submit);
    await waitFor(() => expect(onDone).toHaveBeenCalledWith({ demo: false }));
    expect(recover).toHaveBeenCalledWith(KEY, STRONG);
  });

  it("shows a wrong recovery key", async () => {
    setup({
      recover: async () => {
        throw { code: "bad_recovery_key", message: "this is not the vault's recovery key" };
      },
    });
    await fireEvent.click(screen.getByTestId("restore-vault"));
    await typeIn("restore-key", KEY);
    await typeIn("new-passphrase", STRONG);
    await typeIn("repeat-passphrase", STRONG);
    await waitFor(() => expect((screen.getByTestId("restore-submit") as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByTestId("restore-submit"));
    expect((await screen.findByRole("alert")).textContent).toBe("this is not the vault's recovery key");
  });

  it("runs the demo through vault creation and says so when done", async () => {
    const { onDone } = setup({ demo });
    await fireEvent.click(screen.getByTestId("try-demo"));
    expect(screen.getByRole("heading", { level: 2 }).textContent).toContain("demo");
    await typeIn("new-passphrase", STRONG);
    await typeIn("repeat-passphrase", STRONG);
    await waitFor(() => expect(submitButton().disabled).toBe(false));
    await fireEvent.click(submitButton());
    await fireEvent.click(await screen.findByTestId("recovery-saved"));
    const inputs = screen.getAllByTestId("confirm-group");
    await fireEvent.input(inputs[0], { target: { value: "CCCC" } });
    await fireEvent.input(inputs[1], { target: { value: "GGGG" } });
    await fireEvent.click(screen.getByTestId("confirm-submit"));
    await waitFor(() => expect(onDone).toHaveBeenCalledWith({ demo: true }));
  });

  it("moves the focus to each step's heading", async () => {
    setup();
    expect(document.activeElement?.textContent).toBe("No vault yet");
    await fireEvent.click(screen.getByTestId("create-vault"));
    expect(document.activeElement?.textContent).toBe("Create a vault");
  });

  it("shows the installed provisioning profile, and what it sets, before anything is created", () => {
    setup({ profile: FULL_PROFILE });
    const notice = screen.getByTestId("profile-notice");
    expect(notice.querySelector("h3")?.textContent).toBe("Provisioned by Example GmbH");
    const items = [...notice.querySelectorAll("li")].map((li) => li.textContent?.trim());
    expect(items).toContain(`Escrow: every new seal is also encrypted to Example GmbH's key. Fingerprint: ${FINGERPRINT}`);
    expect(items).toContain("Passphrase strength at least 4/4 (“Very strong”).");
    expect(items).toContain("Locks itself after at most 10 idle minutes; auto-lock cannot be turned off.");
    expect(items).toContain("Folders left unsealed: Shared/Calendar, Journal.");
    expect(items).toContain("Messages larger than 26.2 MB are left unsealed.");
    expect(screen.getByTestId("profile-fingerprint").classList.contains("mono")).toBe(true);
  });

  it("shows no profile notice without a profile", () => {
    setup();
    expect(screen.queryByTestId("profile-notice")).toBeNull();
  });

  it("names no one when the profile has no organisation", () => {
    setup({ profile: { ...FULL_PROFILE, organisation: null } });
    expect(screen.getByTestId("profile-notice").querySelector("h3")?.textContent).toBe("Provisioned by your organisation");
  });

  it("needs the profile's higher passphrase strength to create the vault", async () => {
    // "Strong" (3, acceptable by Coffer's own minimum) from 20 characters, "Very strong" from 40.
    const graded = async (p: string): Promise<Strength> => {
      const score = p.length >= 40 ? 4 : p.length >= 20 ? 3 : 1;
      return { score, acceptable: score >= 3, warning: null, suggestions: [], crackTime: "years" };
    };
    const { create } = setup({ profile: FULL_PROFILE, checkStrength: graded });
    await fireEvent.click(screen.getByTestId("create-vault"));
    expect(screen.getByTestId("strength-policy").textContent).toContain("Your organisation requires strength 4/4");
    await typeIn("new-passphrase", STRONG);
    await typeIn("repeat-passphrase", STRONG);
    await waitFor(() => expect(screen.getByTestId("strength-label").textContent).toBe("Strong"));
    expect(screen.getByTestId("strength-need").textContent).toContain("Not strong enough for your organisation yet");
    expect(submitButton().disabled).toBe(true);
    expect(screen.getByTestId("create-why").textContent).toContain("not strong enough");
    const longer = `${STRONG} lantern harbour`;
    await typeIn("new-passphrase", longer);
    await typeIn("repeat-passphrase", longer);
    await waitFor(() => expect(submitButton().disabled).toBe(false));
    await fireEvent.click(submitButton());
    await screen.findByTestId("recovery-key");
    expect(create).toHaveBeenCalledWith(longer);
  });
});
