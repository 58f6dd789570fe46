// How the app writes sizes, durations and rates: decimal units (1 MB = 1,000,000 bytes),
// the same the settings' "MB" fields use.

const UNITS = ["B", "kB", "MB", "GB", "TB"];

/** 0 B, 999 B, 1.2 kB, 34.5 MB, 1.23 GB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "—";
  if (n < 1000) return `${Math.round(n)} B`;
  let v = n;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u += 1;
  }
  // Three significant digits at most: 1.23 GB, 12.3 MB, 123 kB.
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : u >= 3 ? 2 : 1;
  return `${v.toFixed(digits)} ${UNITS[u]}`;
}

/** Bytes per second as "2.4 MB/s". */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return "—";
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** 0 s, 42 s, 3 min 05 s, 2 h 05 min, 3 d 4 h. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const pad = (x: number) => String(x).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** A rough estimate in words: "under a minute", "about 4 minutes", "about 2 hours". */
export function formatEstimate(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "unknown";
  if (seconds < 60) return "under a minute";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return minutes === 1 ? "about a minute" : `about ${minutes} minutes`;
  const hours = Math.round(seconds / 360) / 10;
  if (hours < 48) return hours === 1 ? "about an hour" : `about ${hours} hours`;
  return `about ${Math.round(seconds / 86400)} days`;
}

export const BYTES_PER_MB = 1_000_000;

/** Bytes as whole megabytes, for a settings field. */
export function bytesToMb(bytes: number): number {
  return Math.round(bytes / BYTES_PER_MB);
}

export function mbToBytes(mb: number): number {
  return Math.round(mb * BYTES_PER_MB);
}

/** "3 messages", "1 message". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}
