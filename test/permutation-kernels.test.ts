import { describe, expect, it } from 'vitest';
import { rng } from './helpers/rng.ts';
import { makeTToZ } from '../shared/permutation/fast-tz.ts';
import { tToZ } from '../shared/stats/distributions.ts';
import { buildLattice } from '../shared/permutation/lattice.ts';
import { clusterWork, labelClusters } from '../shared/permutation/clusters.ts';
import { tfce, tfceLevel, tfceWork } from '../shared/permutation/tfce.ts';
import { tfceVoxelOrder, tfceVoxelOrderWork } from '../shared/permutation/tfce-voxel-order.ts';
import { keptEdges26, keptEdgesGeneric } from '../shared/permutation/tfce-edges.ts';
import { paddedLattice } from '../shared/permutation/lattice.ts';
import { labelComponents, type Connectivity } from '../shared/volume/components.ts';
import { findClusters } from '../shared/volume/clusters.ts';
import { permutationModel, permuteScratch, permutedT } from '../shared/permutation/model.ts';
import { fitGlm, glmModel } from '../shared/stats/glm.ts';
import { keyedBijection, planShuffles, shuffle, shuffleSet } from '../shared/permutation/shuffles.ts';
import { bhAdjust, bhThreshold } from '../shared/stats/fdr.ts';


/** TFCE straight from its definition: label the map at every height. */
function tfceDirect(stat: Float64Array, dims: [number, number, number], conn: Connectivity, H: number, E: number, dh?: number): Float64Array {
  const V = stat.length;
  let max = 0;
  for (const s of stat) max = Math.max(max, s);
  const out = new Float64Array(V);
  if (max <= 0) return out;
  const step = dh ?? max / 100;
  const K = tfceLevel(max, step);
  for (let k = 1; k <= K; k++) {
    const h = k * step;
    const supra = new Uint8Array(V);
    for (let v = 0; v < V; v++) supra[v] = stat[v]! >= h ? 1 : 0;
    const { labels, sizes } = labelComponents(supra, dims, conn);
    for (let v = 0; v < V; v++) if (labels[v]) out[v] += Math.pow(sizes[labels[v]! - 1]!, E) * Math.pow(h, H) * step;
  }
  return out;
}

describe('fast t → z', () => {
  it('matches the exact conversion to 1e-9 for df 1 … 500 and |t| up to 40', () => {
    for (const df of [1, 3, 7.5, 21, 72, 500]) {
      const f = makeTToZ(df);
      let worst = 0;
      for (let t = -40; t <= 40; t += 0.0137) worst = Math.max(worst, Math.abs(f.z(t) - tToZ(t, df)));
      expect(worst, `df ${df}`).toBeLessThan(1e-9);
      expect(f.z(3.1352062)).toBeCloseTo(df === 21 ? 2.8070338 : tToZ(3.1352062, df), 6);
    }
  });
});

describe('lattice clusters', () => {
  it('finds the same maximum extent and mass as the grid labeller', () => {
    const r = rng(3);
    const dims: [number, number, number] = [9, 8, 7];
    const N = 9 * 8 * 7;
    const mask = new Uint8Array(N).map(() => (r.u() < 0.85 ? 1 : 0));
    for (const conn of [6, 18, 26] as Connectivity[]) {
      const grid = new Float32Array(N).map((_, g) => (mask[g] ? Math.abs(r.z()) : 0));
      const lat = buildLattice(mask, dims, conn);
      const stat = Float64Array.from(lat.index, (g) => grid[g]!);
      const got = labelClusters(stat, 1, lat, clusterWork(lat.V));
      const ref = findClusters(grid, dims, 1, '+', conn, 0, mask);
      expect(got.maxExtent).toBe(Math.max(...ref.map((c) => c.voxels)));
      expect(got.maxMass).toBeCloseTo(Math.max(...ref.map((c) => c.mass)), 4);
    }
  });
});

describe('TFCE', () => {
  it('gives the hand-computed values on a 1-D ramp', () => {
    // stat 1, 2, 3 in a line, dh = 1, H = 2, E = 0.5:
    // voxel 3: √3·1²·1 + √2·2²·1 + √1·3²·1 = 1.7320508 + 5.6568542 + 9 = 16.3889050
    // voxel 2: √3 + √2·4 = 7.3889050; voxel 1: √3 = 1.7320508
    const lat = buildLattice(new Uint8Array(3).fill(1), [3, 1, 1], 6);
    const out = new Float64Array(3);
    const max = tfce(Float64Array.of(1, 2, 3), lat, { H: 2, E: 0.5, dh: 1 }, out, tfceWork(3));
    expect(out[2]).toBeCloseTo(16.388905, 6);
    expect(out[1]).toBeCloseTo(7.388905, 6);
    expect(out[0]).toBeCloseTo(1.7320508, 6);
    expect(max).toBeCloseTo(16.388905, 6);
  });
  it('gives two separate peaks their own extents, merging them below the saddle', () => {
    // 2 . 1 . 2 with dh 1: the peaks are separate at h = 2 and joined at h = 1.
    const lat = buildLattice(new Uint8Array(3).fill(1), [3, 1, 1], 6);
    const out = new Float64Array(3);
    tfce(Float64Array.of(2, 1, 2), lat, { H: 2, E: 0.5, dh: 1 }, out, tfceWork(3));
    expect(out[0]).toBeCloseTo(Math.sqrt(3) + 4, 10);
    expect(out[1]).toBeCloseTo(Math.sqrt(3), 10);
  });
  it('equals the per-height definition on smooth 3-D images (6, 18 and 26 connectivity, mask touching the grid edges, dh = max/100)', () => {
    const r = rng(11);
    const dims: [number, number, number] = [10, 9, 8];
    const N = 720;
    const mask = new Uint8Array(N).map(() => (r.u() < 0.9 ? 1 : 0));
    const raw = new Float64Array(N).map(() => r.z());
    // a little spatial correlation so that clusters form and merge
    const grid = new Float64Array(N);
    for (let g = 0; g < N; g++) grid[g] = mask[g] ? Math.max(0, raw[g]! + 0.5 * (raw[(g + 1) % N]! + raw[(g + 10) % N]!)) : 0;
    for (const conn of [6, 18, 26] as Connectivity[]) {
      const lat = buildLattice(mask, dims, conn);
      const stat = Float64Array.from(lat.index, (g) => grid[g]!);
      const out = new Float64Array(lat.V);
      tfce(stat, lat, { H: 2, E: 0.5 }, out, tfceWork(lat.V));
      const ref = tfceDirect(grid, dims, conn, 2, 0.5);
      let worst = 0;
      for (let v = 0; v < lat.V; v++) worst = Math.max(worst, Math.abs(out[v]! - ref[lat.index[v]!]!) / Math.max(1, ref[lat.index[v]!]!));
      expect(worst, `connectivity ${conn}`).toBeLessThan(1e-10);
      expect(Math.max(...out)).toBeGreaterThan(0);
    }
  });
  it('equals the per-height definition with integer levels and many ties (plateaus decide which edges are dropped), fixed dh', () => {
    const r = rng(5);
    const dims: [number, number, number] = [9, 8, 7];
    const N = 9 * 8 * 7;
    const mask = new Uint8Array(N).map(() => (r.u() < 0.8 ? 1 : 0));
    // values on the dh grid exactly: whole levels 0 … 4, so witnesses often tie with an edge's weight
    const grid = new Float64Array(N).map((_, g) => (mask[g] ? Math.floor(r.u() * 5) : 0));
    for (const conn of [6, 18, 26] as Connectivity[]) {
      const lat = buildLattice(mask, dims, conn);
      const stat = Float64Array.from(lat.index, (g) => grid[g]!);
      const out = new Float64Array(lat.V);
      tfce(stat, lat, { H: 2, E: 0.5, dh: 1 }, out, tfceWork(lat.V));
      const ref = tfceDirect(grid, dims, conn, 2, 0.5, 1);
      let worst = 0;
      for (let v = 0; v < lat.V; v++) worst = Math.max(worst, Math.abs(out[v]! - ref[lat.index[v]!]!) / Math.max(1, ref[lat.index[v]!]!));
      expect(worst, `connectivity ${conn}`).toBeLessThan(1e-10);
    }
  });
  it('agrees with the previous kernel (voxels entering in level order) to 1e-12 on a larger smooth map, reusing one work area', () => {
    const r = rng(17);
    const dims: [number, number, number] = [31, 27, 23];
    const N = dims[0] * dims[1] * dims[2];
    const mask = new Uint8Array(N);
    for (let z = 0; z < dims[2]; z++) for (let y = 0; y < dims[1]; y++) for (let x = 0; x < dims[0]; x++) {
      if (((x - 15) / 15) ** 2 + ((y - 13) / 13) ** 2 + ((z - 11) / 12) ** 2 <= 1) mask[x + dims[0] * (y + dims[1] * z)] = 1;
    }
    for (const conn of [6, 18, 26] as Connectivity[]) {
      const lat = buildLattice(mask, dims, conn);
      const w = tfceWork(lat.V);
      const w0 = tfceVoxelOrderWork(lat.V);
      for (let rep = 0; rep < 3; rep++) {
        // smooth |z|-like map: box-filtered normals
        const raw = new Float64Array(N).map(() => r.z());
        const grid = new Float64Array(N);
        for (let g = 0; g < N; g++) {
          let s2 = 0;
          for (const d of [0, 1, -1, dims[0], -dims[0], dims[0] * dims[1], -dims[0] * dims[1]]) s2 += raw[(g + d + N) % N]!;
          grid[g] = Math.abs(s2) / Math.sqrt(7);
        }
        const stat = Float64Array.from(lat.index, (g) => grid[g]!);
        const a = new Float64Array(lat.V);
        const b = new Float64Array(lat.V);
        const ma = tfce(stat, lat, { H: 2, E: 0.5 }, a, w);
        const mb = tfceVoxelOrder(stat, lat, { H: 2, E: 0.5 }, b, w0);
        let worst = 0;
        for (let v = 0; v < lat.V; v++) worst = Math.max(worst, Math.abs(a[v]! - b[v]!) / Math.max(1, b[v]!));
        expect(worst, `connectivity ${conn}`).toBeLessThan(1e-12);
        expect(Math.abs(ma - mb) / mb).toBeLessThan(1e-12);
        // the caller's maximum of the map (as the engine passes it) changes nothing
        const c = new Float64Array(lat.V).fill(7);
        expect(tfce(stat, lat, { H: 2, E: 0.5 }, c, w, Math.max(...stat))).toBe(ma);
        expect(Array.from(c)).toEqual(Array.from(a));
      }
    }
  });
  it('grows its edge buffers when a map keeps more edges than they hold, with the same result', () => {
    const r = rng(29);
    const dims: [number, number, number] = [10, 9, 8];
    const N = 720;
    const mask = new Uint8Array(N).map(() => (r.u() < 0.9 ? 1 : 0));
    const grid = new Float64Array(N).map((_, g) => (mask[g] ? Math.abs(r.z()) : 0));
    for (const conn of [6, 18, 26] as Connectivity[]) {
      const lat = buildLattice(mask, dims, conn);
      const stat = Float64Array.from(lat.index, (g) => grid[g]!);
      const w = tfceWork(lat.V);
      const first = new Float64Array(lat.V);
      tfce(stat, lat, { H: 2, E: 0.5 }, first, w);
      w.tmpU = new Int32Array(20);
      w.tmpW = new Int32Array(20);
      w.edges = new Int32Array(0);
      const again = new Float64Array(lat.V);
      tfce(stat, lat, { H: 2, E: 0.5 }, again, w);
      expect(w.tmpU.length, `connectivity ${conn}`).toBeGreaterThan(20);
      expect(Array.from(again)).toEqual(Array.from(first));
      const ref = tfceDirect(grid, dims, conn, 2, 0.5);
      for (let v = 0; v < lat.V; v++) expect(Math.abs(again[v]! - ref[lat.index[v]!]!)).toBeLessThan(1e-10 * Math.max(1, ref[lat.index[v]!]!));
    }
  });
  it('keeps the same edges in the same order in the written-out 26-connectivity sweep as in the generic one', () => {
    const r = rng(23);
    const dims: [number, number, number] = [12, 10, 9];
    const N = dims[0] * dims[1] * dims[2];
    const mask = new Uint8Array(N).map(() => (r.u() < 0.85 ? 1 : 0));
    const lat = buildLattice(mask, dims, 26);
    const pad = paddedLattice(lat);
    const w = tfceWork(lat.V);
    // run once so the work area holds the lattice's offsets and witnesses
    tfce(Float64Array.from(lat.index, () => 1), lat, { H: 2, E: 0.5, dh: 1 }, new Float64Array(lat.V), w);
    const level = Int32Array.from(lat.index, () => Math.floor(r.u() * 6));
    const levelGrid = new Int32Array(pad.N);
    for (let v = 0; v < lat.V; v++) levelGrid[pad.index[v]!] = level[v]!;
    const cap = lat.nbr.length / 2 + 1;
    const bufs = () => ({ vStart: new Int32Array(lat.V + 1), tmpU: new Int32Array(cap), tmpW: new Int32Array(cap) });
    const a = bufs();
    const b = bufs();
    const px = dims[0] + 2;
    const na = keptEdges26(lat.V, level, pad.index, pad.compactOf, levelGrid, px, px * (dims[1] + 2), a);
    const nb = keptEdgesGeneric(lat.V, level, pad.index, pad.compactOf, levelGrid, w.forward, w.wStart, w.witness, b);
    expect(w.forward.length).toBe(13);
    expect(na).toBe(nb);
    expect(na).toBeGreaterThan(0);
    expect(na).toBeLessThan(lat.nbr.length / 2); // some edges are implied by witnesses
    expect(Array.from(a.vStart)).toEqual(Array.from(b.vStart));
    expect(Array.from(a.tmpU.subarray(0, na))).toEqual(Array.from(b.tmpU.subarray(0, nb)));
    expect(Array.from(a.tmpW.subarray(0, na))).toEqual(Array.from(b.tmpW.subarray(0, nb)));
  });
});

describe('Freedman–Lane accumulation in WebAssembly SIMD', () => {
  it('gives t bit-identical to the scalar loop (odd n, odd V across blocks, relabelling and sign flips)', () => {
    const r = rng(8);
    for (const [n, V] of [[15, 1031], [14, 7], [9, 512]] as const) {
      const M = new Float64Array(n * 3);
      for (let i = 0; i < n; i++) {
        M[i * 3] = 1;
        M[i * 3 + 1] = r.z();
        M[i * 3 + 2] = i % 3;
      }
      const Y = new Float32Array(n * V).map(() => r.z());
      const m = permutationModel(M, n, 3, Float64Array.of(0, 1, 0), Y, V);
      expect(m.simd, 'WebAssembly SIMD available in this runtime').toBeDefined();
      const perm = Int32Array.from({ length: n }, (_, i) => (2 * n - 1 - i + 3) % n);
      const sign = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -1 : 1));
      for (const sg of [undefined, sign]) {
        const fast = new Float64Array(V);
        const plain = new Float64Array(V);
        permutedT(m, perm, sg, fast, permuteScratch(m));
        permutedT(m, perm, sg, plain, permuteScratch(m), true);
        expect(Array.from(fast)).toEqual(Array.from(plain));
        expect(fast.some((x) => x !== 0)).toBe(true);
      }
    }
  });
});

describe('Freedman–Lane model', () => {
  const n = 14;
  const V = 50;
  const r = rng(5);
  const M = new Float64Array(n * 4);
  for (let i = 0; i < n; i++) {
    M[i * 4 + (i < 7 ? 0 : 1)] = 1;
    M[i * 4 + 2] = 40 + 10 * r.z();
    M[i * 4 + 3] = 1500 + 100 * r.z();
  }
  const c = Float64Array.of(1, -1, 0, 0);
  const Y = new Float32Array(n * V).map((_, k) => 0.5 + 0.1 * r.z() + (Math.floor(k / V) < 7 ? 0.03 : 0) + 0.001 * M[Math.floor(k / V) * 4 + 2]!);

  it('reproduces the ordinary GLM t for the identity', () => {
    const m = permutationModel(M, n, 4, c, Y, V);
    const t = new Float64Array(V);
    const perm = Int32Array.from({ length: n }, (_, i) => i);
    permutedT(m, perm, undefined, t, permuteScratch(m));
    const ref = new Float32Array(V);
    fitGlm(glmModel(M, n, 4, [c]), Y, V, undefined, [ref]);
    for (let v = 0; v < V; v++) expect(t[v]).toBeCloseTo(ref[v]!, 4);
    expect(m.dof).toBe(10);
  });

  it('equals refitting Y* = H_Z·Y + P·R_Z·Y explicitly for a relabelling', () => {
    const m = permutationModel(M, n, 4, c, Y, V);
    const perm = Int32Array.of(3, 9, 0, 12, 7, 1, 13, 5, 2, 11, 6, 4, 10, 8);
    const t = new Float64Array(V);
    permutedT(m, perm, undefined, t, permuteScratch(m));
    // Independent route: nuisance = covariates + grand mean (the part of [g1 g2 age tiv] the contrast does not test).
    const Z = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) {
      Z[i * 3] = 1;
      Z[i * 3 + 1] = M[i * 4 + 2]!;
      Z[i * 3 + 2] = M[i * 4 + 3]!;
    }
    const beta = new Float64Array(3 * V);
    const zModel = glmModel(Z, n, 3, [Float64Array.of(1, 0, 0)]);
    const bOut = [0, 1, 2].map(() => new Float64Array(V));
    const resid = new Float32Array(n * V);
    fitGlm(zModel, Y, V, undefined, [new Float32Array(V)], resid, bOut);
    bOut.forEach((b, j) => beta.set(b, j * V));
    const Ystar = new Float32Array(n * V);
    for (let i = 0; i < n; i++) {
      for (let v = 0; v < V; v++) {
        let fit = 0;
        for (let j = 0; j < 3; j++) fit += Z[i * 3 + j]! * beta[j * V + v]!;
        Ystar[i * V + v] = fit + resid[perm[i]! * V + v]!;
      }
    }
    const ref = new Float32Array(V);
    fitGlm(glmModel(M, n, 4, [c]), Ystar, V, undefined, [ref]);
    for (let v = 0; v < V; v++) expect(t[v]).toBeCloseTo(ref[v]!, 3);
  });
});

describe('relabellings', () => {
  it('enumerates every distinct two-group relabelling exactly once when exhaustive', () => {
    const x = Float64Array.of(1, 1, 1, 0, 0, 0, 0);
    const plan = planShuffles(shuffleSet('permute', x), 1000, 7);
    expect(plan.exhaustive).toBe(true);
    expect(plan.count).toBe(35);
    const seen = new Set<string>();
    const perm = new Int32Array(7);
    const sign = new Float64Array(7);
    for (let k = 0; k < plan.count; k++) {
      shuffle(plan, k, perm, sign);
      expect([...perm].sort().join()).toBe('0,1,2,3,4,5,6');
      // which data rows are matched with group-1 design rows
      seen.add([0, 1, 2].map((i) => perm[i]).sort().join());
      if (k === 0) expect([...perm]).toEqual([0, 1, 2, 3, 4, 5, 6]);
    }
    expect(seen.size).toBe(35);
  });
  it('keeps relabellings within exchangeability blocks', () => {
    const x = Float64Array.of(1, 0, 1, 0, 1, 0);
    const blocks = ['a', 'a', 'b', 'b', 'c', 'c'];
    const plan = planShuffles(shuffleSet('permute', x, blocks), 100, 1);
    expect(plan.count).toBe(8);
    const perm = new Int32Array(6);
    const sign = new Float64Array(6);
    const seen = new Set<string>();
    for (let k = 0; k < 8; k++) {
      shuffle(plan, k, perm, sign);
      for (let i = 0; i < 6; i++) expect(blocks[perm[i]!]).toBe(blocks[i]);
      seen.add(perm.join());
    }
    expect(seen.size).toBe(8);
  });
  it('draws distinct non-identity sign flips from a keyed bijection when sampling', () => {
    const plan = planShuffles(shuffleSet('flip', new Float64Array(12).fill(1)), 500, 99);
    expect(plan.exhaustive).toBe(false);
    const perm = new Int32Array(12);
    const sign = new Float64Array(12);
    const seen = new Set<string>();
    for (let k = 1; k < 500; k++) {
      shuffle(plan, k, perm, sign);
      const key = sign.join();
      expect(key).not.toBe(new Float64Array(12).fill(1).join());
      seen.add(key);
    }
    expect(seen.size).toBe(499);
  });
  it('keyed bijection permutes its domain', () => {
    for (const size of [1, 2, 3, 17, 1000, 4097]) {
      const f = keyedBijection(42, size);
      const seen = new Set<number>();
      for (let x = 0; x < size; x++) seen.add(f(x));
      expect(seen.size).toBe(size);
      expect(Math.max(...seen)).toBe(size - 1);
    }
  });
});

describe('Benjamini–Hochberg', () => {
  it('matches the step-up rule', () => {
    const p = [0.01, 0.04, 0.03, 0.005, 0.5, 0.2];
    const q = bhAdjust(p);
    // sorted 0.005 0.01 0.03 0.04 0.2 0.5 → ×6/rank: 0.03 0.03 0.06 0.06 0.24 0.5, then running min from the top
    expect(Array.from(q).map((x) => Number(x.toFixed(6)))).toEqual([0.03, 0.06, 0.06, 0.03, 0.5, 0.24]);
    expect(bhThreshold(p, 0.05)).toBe(0.01);
  });
});
