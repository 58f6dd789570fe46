import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/svelte";
import { tick } from "svelte";
import StrengthMeter from "./StrengthMeter.svelte";
import type { Strength } from "../lib/api";

const weak: Strength = {
  score: 1,
  acceptable: false,
  warning: "This is a very common password.",
  suggestions: ["Add another word or two."],
  crackTime: "3 minutes",
};
const strong: Strength = { score: 4, acceptable: true, warning: null, suggestions: [], crackTime: "centuries" };

describe("StrengthMeter", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("asks once per pause in typing, about the last text", async () => {
    const check = vi.fn(async (p: string) => (p.length > 10 ? strong : weak));
    const { rerender } = render(StrengthMeter, { props: { passphrase: "p", check } });
    await vi.advanceTimersByTimeAsync(100);
    await rerender({ passphrase: "pa" });
    await vi.advanceTimersByTimeAsync(100);
    await rerender({ passphrase: "password" });
    expect(check).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(150);
    expect(check).toHaveBeenCalledTimes(1);
    expect(check).toHaveBeenCalledWith("password");
    await tick();
    expect(screen.getByTestId("strength-label").textContent).toBe("Weak");
    expect(screen.getByRole("meter").getAttribute("aria-valuenow")).toBe("1");
    expect(screen.getByTestId("strength").textContent).toContain("3 minutes");
    expect(screen.getByTestId("strength-warning").textContent).toBe("This is a very common password.");
    expect(screen.getByText("Add another word or two.")).toBeTruthy();
    expect(screen.getByTestId("strength-need")).toBeTruthy();
  });

  it("shows a strong verdict without complaints", async () => {
    render(StrengthMeter, { props: { passphrase: "correct horse battery staple", check: async () => strong } });
    await vi.advanceTimersByTimeAsync(150);
    await tick();
    expect(screen.getByTestId("strength-label").textContent).toBe("Very strong");
    expect(screen.getByTestId("strength").textContent).toContain("centuries");
    expect(screen.queryByTestId("strength-need")).toBeNull();
  });

  it("drops an answer that arrives after the text changed", async () => {
    let release: (s: Strength) => void = () => {};
    const check = vi.fn((p: string) =>
      p === "slow" ? new Promise<Strength>((ok) => (release = ok)) : Promise.resolve(strong),
    );
    const { rerender } = render(StrengthMeter, { props: { passphrase: "slow", check } });
    await vi.advanceTimersByTimeAsync(150);
    await rerender({ passphrase: "fast and long enough" });
    await vi.advanceTimersByTimeAsync(150);
    release(weak);
    await vi.advanceTimersByTimeAsync(0);
    await tick();
    expect(screen.getByTestId("strength-label").textContent).toBe("Very strong");
  });

  it("raises the minimum to the organisation's, and says so", async () => {
    const good: Strength = { score: 3, acceptable: true, warning: null, suggestions: [], crackTime: "3 years" };
    const check = vi.fn(async (p: string) => (p.length > 30 ? strong : good));
    let verdict: Strength | null = null;
    const { rerender } = render(StrengthMeter, {
      props: { passphrase: "", check, orgMinScore: 4, get strength() { return verdict; }, set strength(s) { verdict = s; } },
    });
    // Said before anything is typed.
    expect(screen.getByTestId("strength-policy").textContent).toBe("Your organisation requires strength 4/4 (“Very strong”).");
    await rerender({ passphrase: "tulip orbit cactus" });
    await vi.advanceTimersByTimeAsync(150);
    await tick();
    // Strong by Coffer's own minimum, not by the organisation's.
    expect(screen.getByTestId("strength-label").textContent).toBe("Strong");
    expect(screen.getByTestId("strength-need").textContent).toContain("Not strong enough for your organisation yet");
    expect(verdict).toMatchObject({ score: 3, acceptable: false });
    expect(screen.getByRole("meter").classList.contains("below")).toBe(true);
    await rerender({ passphrase: "tulip orbit cactus lantern harbour" });
    await vi.advanceTimersByTimeAsync(150);
    await tick();
    expect(screen.queryByTestId("strength-need")).toBeNull();
    expect(verdict).toMatchObject({ score: 4, acceptable: true });
  });

  it("keeps Coffer's own minimum when the organisation's is lower", async () => {
    render(StrengthMeter, { props: { passphrase: "p", check: async () => weak, orgMinScore: 2 } });
    await vi.advanceTimersByTimeAsync(150);
    await tick();
    expect(screen.queryByTestId("strength-policy")).toBeNull();
    expect(screen.getByTestId("strength-need").textContent).toContain("Coffer needs at least “Strong”");
  });
});
