// Turns a vault status into the words the start screen shows.
import type { VaultStatus } from "./api";

export interface StatusView {
  headline: string;
  detail: string;
  nextStep: string;
}

export function describeVault(status: VaultStatus): StatusView {
  if (status.state === "present") {
    return {
      headline: "Vault found",
      detail: `A locked vault is stored in ${status.dir}.`,
      nextStep: "Unlock it with your passphrase to read your sealed mail.",
    };
  }
  return {
    headline: "No vault yet",
    detail: `Coffer will keep its vault in ${status.dir}.`,
    nextStep:
      "Create a vault with `coffer init`, then connect your IMAP account to start sealing.",
  };
}
