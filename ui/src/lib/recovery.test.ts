import { describe, expect, it } from "vitest";
import { keyGroups, keyParts, mismatches, normalizeGroup } from "./recovery";

describe("recovery key groups", () => {
  it("splits on whitespace and dashes", () => {
    expect(keyGroups("AB12-CD34 EF56\nGH78")).toEqual(["AB12", "CD34", "EF56", "GH78"]);
  });

  it("keeps the separators for display", () => {
    const parts = keyParts("AB12-CD34 EF56");
    expect(parts.map((p) => p.text).join("")).toBe("AB12-CD34 EF56");
    expect(parts.filter((p) => p.group).map((p) => p.text)).toEqual(["AB12", "CD34", "EF56"]);
  });

  it("normalises what people type", () => {
    expect(normalizeGroup(" ab 12 ", "AB12")).toBe("AB12");
    expect(normalizeGroup("WORD", "word")).toBe("word");
    expect(normalizeGroup("MiXed", "MiXeD")).toBe("MiXed");
  });

  it("names the positions that do not match", () => {
    const key = "AAAA-BBBB-CCCC-DDDD";
    expect(mismatches(key, [2, 4], ["bbbb", "DDDD"])).toEqual([]);
    expect(mismatches(key, [2, 4], ["BBBB", "DDDX"])).toEqual([4]);
    expect(mismatches(key, [9], ["x"])).toEqual([]);
  });
});
