import { describe, expect, it } from "vitest";
import { badAddresses, base64Size, blankRequest, joinAddresses, readFileBase64, refused, splitAddresses } from "./compose";

describe("splitAddresses", () => {
  it("splits on commas, trims and drops empties", () => {
    expect(splitAddresses("")).toEqual([]);
    expect(splitAddresses("  ,  , ")).toEqual([]);
    expect(splitAddresses("a@example.com")).toEqual(["a@example.com"]);
    expect(splitAddresses(" a@example.com ,b@example.com,, c@example.com ,")).toEqual([
      "a@example.com",
      "b@example.com",
      "c@example.com",
    ]);
    expect(splitAddresses("a@example.com; b@example.com")).toEqual(["a@example.com", "b@example.com"]);
  });

  it("keeps display names whole, commas in quotes and brackets included", () => {
    expect(splitAddresses('"Doe, Jane" <jane@example.com>, Bob <bob@example.com>')).toEqual([
      '"Doe, Jane" <jane@example.com>',
      "Bob <bob@example.com>",
    ]);
    expect(splitAddresses('"say \\"hi, there\\"" <x@example.com>,y@example.com')).toEqual([
      '"say \\"hi, there\\"" <x@example.com>',
      "y@example.com",
    ]);
    expect(splitAddresses("jane@example.com (Doe, Jane), b@example.com")).toEqual([
      "jane@example.com (Doe, Jane)",
      "b@example.com",
    ]);
  });

  it("round-trips a list through the field's text", () => {
    const list = ['"Doe, Jane" <jane@example.com>', "bob@example.com"];
    expect(splitAddresses(joinAddresses(list))).toEqual(list);
  });
});

describe("compose helpers", () => {
  it("tells entries that are not addresses", () => {
    expect(badAddresses(["a@example.com", "Bob <bob@example.com>", "bob", "Carol <carol>", "x y@z"])).toEqual([
      "bob",
      "Carol <carol>",
      "x y@z",
    ]);
  });

  it("measures base64", () => {
    expect(base64Size("")).toBe(0);
    expect(base64Size(btoa("a"))).toBe(1);
    expect(base64Size(btoa("ab"))).toBe(2);
    expect(base64Size(btoa("abc"))).toBe(3);
    expect(base64Size(btoa("hello world!!"))).toBe(13);
  });

  it("reads a file into base64", async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    expect(await readFileBase64(new Blob([bytes], { type: "application/octet-stream" }))).toBe("AAEC+v8=");
    expect(await readFileBase64(new Blob([]))).toBe("");
  });

  it("starts a blank request and lists the refused recipients", () => {
    expect(blankRequest("work")).toEqual({
      account: "work", to: [], cc: [], bcc: [], subject: "", text: "", html: null, attachments: [],
      replyTo: null, forward: null, draftId: null,
    });
    expect(
      refused({
        id: 1, message_id: "<m@x>", subject: "", state: "failed", error: null, sent_folder: null,
        recipients: [
          { address: "a@x", state: "accepted", reply: "250 ok" },
          { address: "b@x", state: "rejected", reply: "550 no such user" },
        ],
      }).map((r) => r.address),
    ).toEqual(["b@x"]);
  });
});
