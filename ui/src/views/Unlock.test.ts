import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import Unlock from "./Unlock.svelte";

const field = () => screen.getByTestId("unlock-passphrase") as HTMLInputElement;
const button = () => screen.getByTestId("unlock-submit") as HTMLButtonElement;

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
});
