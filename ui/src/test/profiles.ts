// Provisioning profiles for the tests, as session_info returns them (snake_case inside).
import type { Profile } from "../lib/api";

export const FINGERPRINT = "5cf4 fbcd 1c1a 02d9 e0fb 2ef8 7f5b 6814";
export const RECIPIENT = "age1f2nxx33vjzc5leu5kflf7r8rkymtzt3kdegrgk5gd8staxpw9cuspeqear";

/** A profile that sets nothing. */
export const EMPTY_PROFILE: Profile = {
  organisation: null,
  imap: null,
  smtp: null,
  escrow: null,
  oauth: null,
  policy: { min_passphrase_score: null, auto_lock_minutes: null, unsealed_folders: [], max_message_bytes: null, watch_interval_seconds: null },
};

/** docs/PROFILE.md's full example. */
export const FULL_PROFILE: Profile = {
  organisation: { name: "Example GmbH" },
  imap: { host: "imap.example.com", port: 993, security: "tls", ca_file: null },
  smtp: { host: "smtp.example.com", port: 587, security: "starttls", ca_file: "/etc/coffer/ca.pem" },
  escrow: { recipient: RECIPIENT, fingerprint: FINGERPRINT },
  oauth: { provider: "microsoft", client_id: "0000", tenant: "1111", client_secret: null },
  policy: {
    min_passphrase_score: 4,
    auto_lock_minutes: 10,
    unsealed_folders: ["Shared/Calendar", "Journal"],
    max_message_bytes: 26_214_400,
    watch_interval_seconds: 60,
  },
};
