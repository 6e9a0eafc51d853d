/** The one shard partitioner: contiguous z-slabs of about equal in-mask voxel counts. */

/** Voxel·subjects one slab shard should hold: large enough to amortise start-up, small enough for memory. */
export const VOXEL_SUBJECTS_PER_SLAB = 4_000_000;

/**
 * Split planes 0..nz-1 into contiguous slabs with about equal in-mask voxel counts.
 * Slab count: forced, else from data size, capped by the concurrency budget and by nz.
 */
export function planSlabs(planeCounts: number[], nSubjects: number, maxConcurrency: number, forced?: number): { z0: number; z1: number }[] {
  const nz = planeCounts.length;
  const prefix = [0];
  for (const c of planeCounts) prefix.push(prefix[prefix.length - 1]! + c);
  const total = prefix[nz]!;
  const n = Math.max(1, Math.min(nz, forced ?? Math.min(Math.ceil((total * nSubjects) / VOXEL_SUBJECTS_PER_SLAB), maxConcurrency)));
  const bounds = [0];
  for (let s = 1; s < n; s++) {
    let b = prefix.findIndex((p) => p >= (total * s) / n);
    if (b < 0) b = nz;
    b = Math.min(Math.max(b, bounds[s - 1]! + 1), nz - (n - s));
    bounds.push(b);
  }
  bounds.push(nz);
  return bounds.slice(0, n).map((z0, s) => ({ z0, z1: bounds[s + 1]! }));
}
