// Typed wrappers over the Tauri commands. The only module that calls invoke().
import { invoke } from "@tauri-apps/api/core";

export type VaultState = "absent" | "present";

export interface VaultStatus {
  dir: string;
  state: VaultState;
  version: string;
}

export interface AppInfo {
  product: string;
  vault: VaultStatus;
}

/** The error shape every command returns: a stable code and a message. */
export interface CommandError {
  code: string;
  message: string;
}

export function isCommandError(e: unknown): e is CommandError {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as CommandError).code === "string" &&
    typeof (e as CommandError).message === "string"
  );
}

/** Describes any thrown value for display. */
export function describeError(e: unknown): string {
  if (isCommandError(e)) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

export function appInfo(): Promise<AppInfo> {
  return invoke<AppInfo>("app_info");
}
