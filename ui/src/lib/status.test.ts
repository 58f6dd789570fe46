import { describe, expect, it } from "vitest";
import { describeVault } from "./status";
import { describeError, isCommandError } from "./api";

describe("describeVault", () => {
  it("tells a first-time user how to start", () => {
    const v = describeVault({ dir: "/home/u/.local/share/coffer", state: "absent", version: "0.1.0" });
    expect(v.headline).toBe("No vault yet");
    expect(v.detail).toContain("/home/u/.local/share/coffer");
    expect(v.nextStep).toContain("coffer init");
  });

  it("offers to unlock an existing vault", () => {
    const v = describeVault({ dir: "/v", state: "present", version: "0.1.0" });
    expect(v.headline).toBe("Vault found");
    expect(v.nextStep).toMatch(/unlock/i);
  });
});

describe("command errors", () => {
  it("recognises the {code, message} shape only", () => {
    expect(isCommandError({ code: "no_vault_dir", message: "x" })).toBe(true);
    expect(isCommandError({ message: "x" })).toBe(false);
    expect(isCommandError("boom")).toBe(false);
  });

  it("describes any thrown value", () => {
    expect(describeError({ code: "c", message: "readable" })).toBe("readable");
    expect(describeError(new Error("plain"))).toBe("plain");
    expect(describeError(42)).toBe("42");
  });
});
