/**
 * Monte-Carlo FWE inference from per-iteration maxima (as the reference's null_to_p,
 * upper tail): p(s) = #(null >= s) / n, clamped to [max(eps, 1/n), 1 - 1/n].
 */
export function sortedNull(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** Upper-tail p of `s` against a sorted null. */
export function nullToP(sorted: Float64Array, s: number): number {
  const n = sorted.length;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < s) lo = mid + 1;
    else hi = mid;
  }
  const p = 1 - lo / n;
  const smallest = Math.max(Number.EPSILON, 1 / n);
  return Math.max(smallest, Math.min(p, 1 - smallest));
}

/**
 * Smallest cluster size (voxels) whose FWE p is below alpha: the cFWE extent threshold
 * ((1 - alpha) quantile of the max-size null, plus one voxel). null when the
 * iterations cannot resolve alpha (alpha <= 1/n).
 */
export function minClusterSize(sortedSizes: Float64Array, alpha: number): number | null {
  const n = sortedSizes.length;
  if (n === 0 || alpha <= Math.max(Number.EPSILON, 1 / n)) return null;
  // #(null >= s) / n < alpha  <=>  s > the value with fewer than alpha·n entries at or above it
  let s = 1;
  for (let i = n - 1; i >= 0; i--) {
    const atOrAbove = n - i;
    if (atOrAbove / n >= alpha) {
      s = Math.floor(sortedSizes[i]!) + 1;
      break;
    }
  }
  const top = sortedSizes[n - 1]! + 1;
  while (s < top && nullToP(sortedSizes, s) >= alpha) s++;
  return Math.max(1, s);
}
