/** The one shard partitioner: contiguous z-slabs of about equal in-mask voxel counts. */

/** Voxel·subjects one slab shard should hold: large enough to amortise start-up, small enough for memory. */
export const VOXEL_SUBJECTS_PER_SLAB = 4_000_000;

/**
 * A stage whose only fan-out is its slabs (glm FitSlabs) asks for at least this many, so a job
 * too small to need more than one slab by size does not leave the other cores idle: a local run
 * on 2–4 threads gets two or more shards per thread, and on Lambda the stage's wall time drops
 * the same way. (ReHo fans out over subjects × slabs and asks for MIN_SLABS shards in all.)
 */
export const MIN_SLABS = 8;

/** …but no slab smaller than this many voxel·subjects (below it a shard's fixed costs dominate). */
export const MIN_VOXEL_SUBJECTS_PER_SLAB = 400_000;

/**
 * How many slabs: `forced` (params.slabs), else from the data size — ⌈voxel·subjects /
 * VOXEL_SUBJECTS_PER_SLAB⌉, raised towards `minSlabs` as long as every slab keeps at least
 * MIN_VOXEL_SUBJECTS_PER_SLAB — capped by the concurrency budget; always 1..nz. A pure function
 * of the data and the spec (never of the machine), so a resumed job finds the same shards;
 * results are identical for any count (tested), only the fan-out width changes.
 */
export function slabCount(voxels: number, nSubjects: number, maxConcurrency: number, nz: number, forced?: number, minSlabs = 1): number {
  const load = voxels * nSubjects;
  const bySize = Math.ceil(load / VOXEL_SUBJECTS_PER_SLAB);
  const byCores = Math.min(minSlabs, Math.floor(load / MIN_VOXEL_SUBJECTS_PER_SLAB));
  return Math.max(1, Math.min(nz, forced ?? Math.min(Math.max(bySize, byCores), maxConcurrency)));
}

/**
 * Split planes 0..nz-1 into contiguous slabs with about equal in-mask voxel counts
 * (`slabCount` of the in-mask total).
 */
export function planSlabs(planeCounts: number[], nSubjects: number, maxConcurrency: number, forced?: number, minSlabs = 1): { z0: number; z1: number }[] {
  const nz = planeCounts.length;
  const prefix = [0];
  for (const c of planeCounts) prefix.push(prefix[prefix.length - 1]! + c);
  const total = prefix[nz]!;
  const n = slabCount(total, nSubjects, maxConcurrency, nz, forced, minSlabs);
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
