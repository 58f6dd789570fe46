// The recovery key as the user sees and re-types it: groups separated by
// whitespace or '-', numbered from 1 (the engine's `confirmGroups` positions).

/** The key's groups, in order. */
export function keyGroups(key: string): string[] {
  return key.split(/[\s-]+/).filter(Boolean);
}

/** The key cut into groups and the separators between them, for display. */
export function keyParts(key: string): { text: string; group: boolean }[] {
  return key
    .trim()
    .split(/([\s-]+)/)
    .filter((t) => t !== "")
    .map((text) => ({ text, group: !/^[\s-]+$/.test(text) }));
}

/**
 * A re-typed group as the engine compares it: without spaces, and in the key's
 * case when the key's group has one (people type "abcd" for "ABCD").
 */
export function normalizeGroup(typed: string, expected: string | undefined): string {
  const t = typed.replace(/\s+/g, "");
  if (expected === undefined) return t;
  if (expected === expected.toUpperCase()) return t.toUpperCase();
  if (expected === expected.toLowerCase()) return t.toLowerCase();
  return t;
}

/**
 * The 1-based positions whose re-typed group does not match the key. A position
 * the key does not have is left to the engine to judge.
 */
export function mismatches(key: string, positions: number[], typed: string[]): number[] {
  const groups = keyGroups(key);
  return positions.filter((pos, i) => {
    const expected = groups[pos - 1];
    return expected !== undefined && normalizeGroup(typed[i] ?? "", expected) !== expected;
  });
}
