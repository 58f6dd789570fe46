import { describe, expect, it } from "vitest";
import {
  bytesToMb,
  formatBytes,
  formatDuration,
  formatEstimate,
  formatRate,
  mbToBytes,
  plural,
} from "./format";

describe("formatBytes", () => {
  it("uses decimal units with three significant digits", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1_234)).toBe("1.2 kB");
    expect(formatBytes(34_500_000)).toBe("34.5 MB");
    expect(formatBytes(512_000_000)).toBe("512 MB");
    expect(formatBytes(1_234_000_000)).toBe("1.23 GB");
  });

  it("says nothing sensible for nonsense", () => {
    expect(formatBytes(-1)).toBe("—");
    expect(formatBytes(Number.NaN)).toBe("—");
  });
});

describe("formatRate", () => {
  it("adds per second, and a dash before anything moved", () => {
    expect(formatRate(2_400_000)).toBe("2.4 MB/s");
    expect(formatRate(0)).toBe("—");
  });
});

describe("formatDuration", () => {
  it("writes seconds, minutes, hours and days compactly", () => {
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(42.4)).toBe("42 s");
    expect(formatDuration(185)).toBe("3 min 05 s");
    expect(formatDuration(7500)).toBe("2 h 05 min");
    expect(formatDuration(3 * 86400 + 4 * 3600)).toBe("3 d 4 h");
  });
});

describe("formatEstimate", () => {
  it("rounds to words", () => {
    expect(formatEstimate(20)).toBe("under a minute");
    expect(formatEstimate(70)).toBe("about a minute");
    expect(formatEstimate(250)).toBe("about 4 minutes");
    expect(formatEstimate(3600)).toBe("about an hour");
    expect(formatEstimate(9000)).toBe("about 2.5 hours");
  });
});

describe("megabytes", () => {
  it("round-trips the settings field", () => {
    expect(mbToBytes(512)).toBe(512_000_000);
    expect(bytesToMb(512_000_000)).toBe(512);
    expect(bytesToMb(1_499_999)).toBe(1);
  });
});

describe("plural", () => {
  it("counts", () => {
    expect(plural(1, "message")).toBe("1 message");
    expect(plural(12345, "message")).toBe("12,345 messages");
    expect(plural(2, "folder")).toBe("2 folders");
  });
});
