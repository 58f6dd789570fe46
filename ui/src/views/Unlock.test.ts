import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import Unlock from "./Unlock.svelte";
import type { Strength } from "../lib/api";

const field = () => screen.getByTestId("unlock-passphrase") as HTMLInputElement;
const button = () => screen.getByTestId("unlock-submit") as HTMLButtonElement;

const STRONG = "correct horse battery staple";
const KEY = "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH";

/** Acceptable from 20 characters on. */
async function checkStrength(p: string): Promise<Strength> {
  const ok = p.length >= 20;
  return { score: ok ? 4 : 1, acceptable: ok, warning: null, suggestions: [], crackTime: ok ? "centuries" : "2 minutes" };
}

async function typeIn(testid: string, value: string) {
  await fireEvent.input(screen.getByTestId(testid), { target: { value } });
}

const recoverButton = () => screen.getByTestId("recover-submit") as HTMLButtonElement;

/** The lock screen with fakes, on its recovery form. */
async function openRecovery(recover: (key: string, passphrase: string) => Promise<void>) {
  const submit = vi.fn(async () => {});
  const onUnlocked = vi.fn();
  render(Unlock, { props: { submit, recover, checkStrength, onUnlocked } });
  await fireEvent.click(screen.getByTestId("forgot-passphrase"));
  return { submit, onUnlocked };
}

describe("Unlock", () => {
  it("focuses the passphrase and submits it with Enter (the form's submit)", async () => {
    const submit = vi.fn(async () => {});
    const onUnlocked = vi.fn();
    render(Unlock, { props: { submit, onUnlocked } });
    expect(document.activeElement).toBe(field());
    expect(button().disabled).toBe(true);
    await fireEvent.input(field(), { target: { value: "my passphrase" } });
    await fireEvent.submit(field().form!);
    await waitFor(() => expect(onUnlocked).toHaveBeenCalled());
    expect(submit).toHaveBeenCalledWith("my passphrase");
    expect(field().value).toBe("");
  });

  it("shows a wrong passphrase inline and lets the user try again", async () => {
    const submit = vi.fn(async (p: string) => {
      if (p !== "right") throw { code: "wrong_passphrase", message: "wrong passphrase" };
    });
    const onUnlocked = vi.fn();
    render(Unlock, { props: { submit, onUnlocked } });
    await fireEvent.input(field(), { target: { value: "wrong" } });
    await fireEvent.click(button());
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe("wrong passphrase — Check the passphrase and try again.");
    expect(field().getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement).toBe(field());
    expect(onUnlocked).not.toHaveBeenCalled();

    await fireEvent.input(field(), { target: { value: "right" } });
    await fireEvent.click(button());
    await waitFor(() => expect(onUnlocked).toHaveBeenCalled());
  });

  it("is busy while the key is derived", async () => {
    let release: () => void = () => {};
    const submit = () => new Promise<void>((ok) => (release = ok));
    const onUnlocked = vi.fn();
    render(Unlock, { props: { submit, onUnlocked } });
    await fireEvent.input(field(), { target: { value: "pw" } });
    await fireEvent.click(button());
    expect(button().disabled).toBe(true);
    expect(button().textContent).toContain("Unlocking…");
    expect(field().readOnly).toBe(true);
    expect(field().form!.getAttribute("aria-busy")).toBe("true");
    release();
    await waitFor(() => expect(onUnlocked).toHaveBeenCalled());
  });

  it("shows a notice, e.g. that locking failed", () => {
    render(Unlock, { props: { submit: async () => {}, onUnlocked: () => {}, notice: "Locking failed: boom" } });
    expect(screen.getByTestId("unlock-notice").textContent).toBe("Locking failed: boom");
  });

  describe("forgotten passphrase", () => {
    it("swaps the passphrase for the recovery form, and back", async () => {
      await openRecovery(vi.fn(async () => {}));
      expect(screen.queryByTestId("unlock-passphrase")).toBeNull();
      expect(document.activeElement).toBe(screen.getByTestId("recover-key"));
      expect(recoverButton().disabled).toBe(true);
      await typeIn("recover-key", KEY);
      await fireEvent.click(screen.getByTestId("recover-back"));
      expect(screen.queryByTestId("recover-key")).toBeNull();
      expect(document.activeElement).toBe(field());
      // Nothing typed is kept.
      await fireEvent.click(screen.getByTestId("forgot-passphrase"));
      expect((screen.getByTestId("recover-key") as HTMLTextAreaElement).value).toBe("");
    });

    it("keeps Restore disabled until the key is there and the new passphrase is strong and repeated", async () => {
      const recover = vi.fn(async () => {});
      await openRecovery(recover);
      await typeIn("recover-passphrase", "short one");
      await typeIn("recover-repeat", "short one");
      expect(await screen.findByTestId("strength-need")).toBeTruthy();
      expect(recoverButton().disabled).toBe(true);

      await typeIn("recover-passphrase", STRONG);
      await waitFor(() => expect(screen.getByTestId("strength-label").textContent).toBe("Very strong"));
      expect(screen.getByTestId("recover-repeat-hint").textContent).toContain("differ");
      expect(screen.getByTestId("recover-repeat").getAttribute("aria-invalid")).toBe("true");
      expect(recoverButton().disabled).toBe(true);

      await typeIn("recover-repeat", STRONG);
      expect(recoverButton().disabled).toBe(true); // no key yet
      await typeIn("recover-key", KEY);
      expect(recoverButton().disabled).toBe(false);
      // A changed passphrase waits for its new verdict.
      await typeIn("recover-passphrase", STRONG + "!");
      expect(recoverButton().disabled).toBe(true);
      expect(recover).not.toHaveBeenCalled();
    });

    it("restores with the trimmed key and the new passphrase, then opens like an unlock", async () => {
      const recover = vi.fn(async (_key: string, _passphrase: string) => {});
      const { submit, onUnlocked } = await openRecovery(recover);
      await typeIn("recover-key", `  ${KEY}\n`);
      await typeIn("recover-passphrase", STRONG);
      await typeIn("recover-repeat", STRONG);
      await waitFor(() => expect(recoverButton().disabled).toBe(false));
      await fireEvent.submit(recoverButton().form!);
      await waitFor(() => expect(onUnlocked).toHaveBeenCalledTimes(1));
      expect(recover).toHaveBeenCalledWith(KEY, STRONG);
      expect(submit).not.toHaveBeenCalled();
    });

    it("is busy while restoring", async () => {
      let release: () => void = () => {};
      const { onUnlocked } = await openRecovery(() => new Promise<void>((ok) => (release = ok)));
      await typeIn("recover-key", KEY);
      await typeIn("recover-passphrase", STRONG);
      await typeIn("recover-repeat", STRONG);
      await waitFor(() => expect(recoverButton().disabled).toBe(false));
      await fireEvent.click(recoverButton());
      expect(recoverButton().disabled).toBe(true);
      expect(recoverButton().textContent).toContain("Restoring…");
      expect(recoverButton().form!.getAttribute("aria-busy")).toBe("true");
      expect((screen.getByTestId("recover-back") as HTMLButtonElement).disabled).toBe(true);
      release();
      await waitFor(() => expect(onUnlocked).toHaveBeenCalled());
    });

    it("shows a wrong recovery key and lets the user correct it", async () => {
      const recover = vi.fn(async (key: string) => {
        if (key !== KEY) throw { code: "bad_recovery_key", message: "this is not the vault's recovery key" };
      });
      const { onUnlocked } = await openRecovery(recover);
      await typeIn("recover-key", "AAAA-0000");
      await typeIn("recover-passphrase", STRONG);
      await typeIn("recover-repeat", STRONG);
      await waitFor(() => expect(recoverButton().disabled).toBe(false));
      await fireEvent.click(recoverButton());
      expect((await screen.findByTestId("recover-error")).textContent).toBe("this is not the vault's recovery key");
      expect(onUnlocked).not.toHaveBeenCalled();

      await typeIn("recover-key", KEY);
      await fireEvent.click(recoverButton());
      await waitFor(() => expect(onUnlocked).toHaveBeenCalled());
      expect(recover).toHaveBeenLastCalledWith(KEY, STRONG);
    });
  });
});
