/**
 * Reference figures printed beside the bench lines (constants measured on this machine
 * kind, with their source) and the physical bounds each kernel is measured against.
 */

export const ANCHORS = {
  ale: { secondsPerIteration1Core: 0.5, secondsPerIteration2Cores: 0.28, source: 'NiMARE 0.5.5 ALE Monte-Carlo FWE, pain dataset, same machine kind' },
  reho: { secondsPerSubject: 40.7, source: 'DPABI y_reho in GNU Octave, one 61×73×61×250 subject, same machine kind' },
  palm: { msPerPermutation: 37, subjects: 24, voxels: 3264, source: 'PALM (GNU Octave), 24 subjects × 3,264 voxels, cluster extent + TFCE, same machine kind' },
  pyls: { seconds: 65, permutations: 5000, bootstraps: 5000, subjects: 34, features: 1645, source: 'pyls, 5,000 permutations + 5,000 bootstraps of 34 × 1,645' },
} as const;

/**
 * Memory bandwidth of one core, bytes/s (read + write counted), from a STREAM-like copy
 * of a 64 MB Float64Array (best of `reps`).
 */
export function streamBandwidth(reps = 5): number {
  const n = 8 * 1024 * 1024;
  const a = new Float64Array(n).fill(1);
  const b = new Float64Array(n);
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    b.set(a);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  if (b[n - 1] !== 1) throw new Error('copy failed');
  return (2 * n * 8) / best;
}

/** CPU seconds (user + system) spent by this process while running fn. */
export function cpuSeconds(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}
