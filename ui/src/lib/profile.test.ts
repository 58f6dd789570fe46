import { describe, expect, it } from "vitest";
import { EMPTY_PROFILE, FINGERPRINT, FULL_PROFILE } from "../test/profiles";
import { autoLockCap, autoLockRefusal, organisationName, profileItems, requiredScore } from "./profile";

const FP = FINGERPRINT;
const EMPTY = EMPTY_PROFILE;
const FULL = FULL_PROFILE;

describe("profile", () => {
  it("names the organisation, or says whose when it is unnamed", () => {
    expect(organisationName(FULL)).toBe("Example GmbH");
    expect(organisationName(EMPTY)).toBe("your organisation");
    expect(organisationName(null)).toBe("your organisation");
    expect(organisationName({ ...EMPTY, organisation: { name: "  " } })).toBe("your organisation");
  });

  it("needs Coffer's own minimum, or the organisation's when higher", () => {
    expect(requiredScore(null)).toBe(3);
    expect(requiredScore(2)).toBe(3);
    expect(requiredScore(4)).toBe(4);
  });

  it("refuses an auto-lock above the profile's, or none, in the engine's words", () => {
    expect(autoLockCap(EMPTY)).toBeNull();
    expect(autoLockRefusal(0, EMPTY)).toBeNull();
    expect(autoLockRefusal(600, null)).toBeNull();
    expect(autoLockCap(FULL)).toBe(10);
    expect(autoLockRefusal(10, FULL)).toBeNull();
    expect(autoLockRefusal(5, FULL)).toBeNull();
    expect(autoLockRefusal(11, FULL)).toBe("Your organisation's profile sets auto-lock (minutes) to at most 10; 11 is not allowed.");
    expect(autoLockRefusal(0, FULL)).toBe("Your organisation's profile requires auto-lock: it cannot be turned off.");
  });

  it("lists what a profile sets in plain words", () => {
    const items = profileItems(FULL);
    expect(items.map((i) => i.key)).toEqual(["escrow", "passphrase", "auto-lock", "unsealed", "size", "watch", "imap", "smtp", "oauth"]);
    const text = Object.fromEntries(items.map((i) => [i.key, i.text]));
    expect(text.escrow).toBe("Escrow: every new seal is also encrypted to Example GmbH's key. Fingerprint:");
    expect(items[0].fingerprint).toBe(FP);
    expect(text.passphrase).toBe("Passphrase strength at least 4/4 (“Very strong”).");
    expect(text["auto-lock"]).toBe("Locks itself after at most 10 idle minutes; auto-lock cannot be turned off.");
    expect(text.unsealed).toBe("Folders left unsealed: Shared/Calendar, Journal.");
    expect(text.size).toBe("Messages larger than 26.2 MB are left unsealed.");
    expect(text.watch).toBe("New mail is looked for at least every 60 seconds.");
    expect(text.imap).toBe("Mail server: imap.example.com:993 (TLS).");
    expect(text.smtp).toBe("Sending server: smtp.example.com:587 (STARTTLS, with the organisation's own certificate authority).");
    expect(text.oauth).toBe("Signing in with Microsoft uses Example GmbH's own app registration.");
  });

  it("lists nothing for an empty profile, and never a minimum below Coffer's", () => {
    expect(profileItems(EMPTY)).toEqual([]);
    const low = profileItems({ ...EMPTY, policy: { ...EMPTY.policy, min_passphrase_score: 1 } });
    expect(low[0].text).toBe("Passphrase strength at least 3/4 (“Strong”).");
  });
});
