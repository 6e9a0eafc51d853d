import { fitGlm, glmModel } from '../shared/stats/glm.ts';
import { stream } from '../shared/random.ts';

/**
 * A straightforward per-voxel GLM: gather the voxel's values, solve the normal equations
 * with a fresh Gauss-Jordan inverse per voxel, compute residuals. The baseline the tuned
 * kernel is compared with in the same process.
 */
export function naiveGlmT(X: number[][], c: number[], Y: Float32Array, n: number, V: number, out: Float32Array): void {
  const p = X[0]!.length;
  for (let v = 0; v < V; v++) {
    const y: number[] = [];
    for (let i = 0; i < n; i++) y.push(Y[i * V + v]!);
    const A = Array.from({ length: p }, (_, a) => [...Array.from({ length: p }, (_, b) => X.reduce((s, r) => s + r[a]! * r[b]!, 0)), ...Array.from({ length: p }, (_, b) => (a === b ? 1 : 0))]);
    for (let col = 0; col < p; col++) {
      let piv = col;
      for (let r = col + 1; r < p; r++) if (Math.abs(A[r]![col]!) > Math.abs(A[piv]![col]!)) piv = r;
      [A[col], A[piv]] = [A[piv]!, A[col]!];
      const d = A[col]![col]!;
      for (let j = 0; j < 2 * p; j++) A[col]![j]! /= d;
      for (let r = 0; r < p; r++) if (r !== col) {
        const f = A[r]![col]!;
        for (let j = 0; j < 2 * p; j++) A[r]![j]! -= f * A[col]![j]!;
      }
    }
    const inv = A.map((r) => r.slice(p));
    const Xty = Array.from({ length: p }, (_, a) => X.reduce((s, r, i) => s + r[a]! * y[i]!, 0));
    const b = inv.map((r) => r.reduce((s, x, j) => s + x * Xty[j]!, 0));
    let rss = 0;
    for (let i = 0; i < n; i++) rss += (y[i]! - X[i]!.reduce((s, x, j) => s + x * b[j]!, 0)) ** 2;
    const cb = c.reduce((s, w, j) => s + w * b[j]!, 0);
    const cvc = c.reduce((s, w, a) => s + w * c.reduce((t, u, bb) => t + inv[a]![bb]! * u, 0), 0);
    out[v] = cb / Math.sqrt((rss / (n - p)) * cvc);
  }
}

export function glmBench(nVox: number, n: number): { fast: number; fastCpu: number; naive: number; maxDiff: number } {
  const rng = stream(11, 0);
  const X: number[][] = Array.from({ length: n }, (_, i) => [i < n / 2 ? 1 : 0, i < n / 2 ? 0 : 1, 20 + 40 * rng.next(), rng.next() < 0.5 ? 0 : 1, 1400 + 150 * rng.normal()]);
  const c = [1, -1, 0, 0, 0];
  const Y = new Float32Array(n * nVox);
  for (let k = 0; k < Y.length; k++) Y[k] = 0.5 + 0.1 * rng.normal();
  const model = glmModel(Float64Array.from(X.flat()), n, 5, [Float64Array.from(c)]);
  const t = new Float32Array(nVox);
  const resid = new Float32Array(n * nVox);
  fitGlm(model, Y, nVox, undefined, [t], resid);
  // best of three timed fits (the first runs in the bench's cold start: JIT, page faults, GC of earlier lines)
  let fast = Infinity;
  let fastCpu = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    fitGlm(model, Y, nVox, undefined, [t], resid);
    const c1 = process.cpuUsage(c0);
    fast = Math.min(fast, (performance.now() - t0) / 1000);
    fastCpu = Math.min(fastCpu, (c1.user + c1.system) / 1e6);
  }
  const sub = Math.min(nVox, 20000);
  const tn = new Float32Array(sub);
  const Ysub = new Float32Array(n * sub);
  for (let i = 0; i < n; i++) Ysub.set(Y.subarray(i * nVox, i * nVox + sub), i * sub);
  const t1 = performance.now();
  naiveGlmT(X, c, Ysub, n, sub, tn);
  const naive = ((performance.now() - t1) / 1000) * (nVox / sub);
  let maxDiff = 0;
  for (let v = 0; v < sub; v++) maxDiff = Math.max(maxDiff, Math.abs(tn[v]! - t[v]!));
  return { fast, fastCpu, naive, maxDiff };
}
