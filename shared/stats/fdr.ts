/**
 * Benjamini–Hochberg false discovery rate (1995): adjusted p (q) values
 * q_(i) = min_{j ≥ i} p_(j)·m/j, capped at 1, for m tests. A voxel is significant at
 * level α when q ≤ α, equivalently p ≤ the BH threshold `bhThreshold(p, α)`.
 */
import { InvalidParameter } from '../errors.ts';

export function bhAdjust(p: ArrayLike<number>): Float64Array {
  const m = p.length;
  const order = Array.from({ length: m }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const x = p[i]!;
    if (!(x >= 0 && x <= 1)) throw new InvalidParameter(`p value ${x} at index ${i} is outside [0, 1]`);
  }
  order.sort((a, b) => p[a]! - p[b]! || a - b);
  const q = new Float64Array(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const i = order[r]!;
    running = Math.min(running, (p[i]! * m) / (r + 1));
    q[i] = running;
  }
  return q;
}

/** Largest p_(i) with p_(i) ≤ α·i/m (0 when none): the BH rejection threshold. */
export function bhThreshold(p: ArrayLike<number>, alpha: number): number {
  const s = Array.from(p).sort((a, b) => a - b);
  const m = s.length;
  let thr = 0;
  for (let i = 0; i < m; i++) if (s[i]! <= (alpha * (i + 1)) / m) thr = s[i]!;
  return thr;
}
