/**
 * What a demo run found, per pipeline: a one-line finding, what was planted (so a reader can
 * check it), whether every planted effect was recovered, and the numbers behind it.
 */
export type Mni = [number, number, number];

export interface Finding {
  pipeline: string;
  /** every planted effect recovered and nothing unexpected */
  recovered: boolean;
  /** one line, e.g. "DRE-HC 3 clusters — peak (24, -72, -36) t = -7.1, planted at (24, -72, -36) ✓" */
  line: string;
  /** what was planted, one entry per effect */
  planted: string[];
  /** further lines (per contrast, per study) */
  details: string[];
  /** machine-readable checks: one per planted effect */
  checks: Check[];
}

export interface Check {
  what: string;
  plantedMni?: Mni;
  foundMni?: Mni | null;
  distanceMm?: number | null;
  value?: number | null;
  ok: boolean;
}

export const mm = (p: readonly number[]): string => `(${p.map((x) => Math.round(x * 10) / 10).join(', ')})`;
export const tick = (ok: boolean): string => (ok ? '✓' : '✗');
export const distance = (a: readonly number[], b: readonly number[]): number => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
