/**
 * Cluster × region tables, cluster values per subject, conjunctions, the bundled atlases
 * and the conjunction command, against plain twins (direct loops over every voxel), the
 * atlases' label tables (voxel counts computed independently when the tables were built)
 * and hand-computed values.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectNamed } from './helpers/errors.ts';
import { tmpDir } from './helpers/tmp.ts';
import { assetPath } from '../shared/assets.ts';
import { voxelToMm, mmToVoxel } from '../shared/nifti/affine.ts';
import { readNifti, writeNifti } from '../shared/nifti/index.ts';
import { correlate } from '../shared/stats/correlation.ts';
import { twoTailedTP } from '../shared/stats/distributions.ts';
import { BUNDLED_GRIDS, bundledAtlasFor, loadBundledAtlas } from '../shared/volume/atlas-bundle.ts';
import { applyMinClusterVoxels, clusterRegions, clusterRegionsCsv, clusterValues, clusterValuesCsv } from '../shared/volume/cluster-regions.ts';
import { findClusters } from '../shared/volume/clusters.ts';
import { conjunction, conjunctionClusters } from '../shared/volume/conjunction.ts';
import { runConjunction } from '../bin/conjunction.ts';
import { rng } from './helpers/rng.ts';

const dims: [number, number, number] = [12, 10, 8];
const N = 12 * 10 * 8;
const affine = Float64Array.from([-2, 0, 0, 20, 0, 2, 0, -10, 0, 0, 2, -8, 0, 0, 0, 1]);
const idx = (i: number, j: number, k: number) => i + 12 * (j + 10 * k);

function blobMap(seed: number): Float32Array {
  const r = rng(seed);
  const s = new Float32Array(N);
  for (let k = 0; k < 8; k++) for (let j = 0; j < 10; j++) for (let i = 0; i < 12; i++) {
    const d1 = (i - 3) ** 2 + (j - 3) ** 2 + (k - 3) ** 2;
    const d2 = (i - 8) ** 2 + (j - 6) ** 2 + (k - 4) ** 2;
    s[idx(i, j, k)] = 5 * Math.exp(-d1 / 4) - 4 * Math.exp(-d2 / 3) + 0.2 * r.z();
  }
  return s;
}

// atlas: label by x slab (1: i < 4, 2: 4 ≤ i < 7, 3: i ≥ 7) except a hole (0) at k = 0
const atlas = new Int32Array(N);
for (let k = 0; k < 8; k++) for (let j = 0; j < 10; j++) for (let i = 0; i < 12; i++) atlas[idx(i, j, k)] = k === 0 ? 0 : i < 4 ? 1 : i < 7 ? 2 : 3;
const table = new Map([[1, 'Left_Slab'], [2, 'Middle_Slab'], [3, 'Right_Slab']]);

describe('cluster × region table', () => {
  const stat = blobMap(3);
  const clusters = [
    ...findClusters(stat, dims, 2, '+', 26, 1, undefined, true).map((c) => ({ ...c, tail: '+' as const })),
    ...findClusters(stat, dims, 2, '-', 26, 1, undefined, true).map((c) => ({ ...c, tail: '-' as const })),
  ];
  const rows = clusterRegions(stat, dims, affine, clusters, atlas, table);

  it('equals a plain twin: counts per label and each region’s own peak', () => {
    expect(clusters.length).toBeGreaterThanOrEqual(2);
    for (const c of clusters) {
      const members = new Set(c.indices);
      const twin = new Map<number, { n: number; peak: number }>();
      for (let v = 0; v < N; v++) {
        if (!members.has(v)) continue;
        const l = atlas[v];
        const e = twin.get(l) ?? { n: 0, peak: -1 };
        e.n++;
        if (e.peak < 0 || Math.abs(stat[v]) > Math.abs(stat[e.peak])) e.peak = v;
        twin.set(l, e);
      }
      const mine = rows.filter((r) => r.cluster === c.id && r.tail === c.tail);
      expect(mine.length).toBe(twin.size);
      expect(mine.reduce((s, r) => s + r.voxels, 0)).toBe(c.voxels);
      for (const r of mine) {
        const t = twin.get(r.label)!;
        expect(r.voxels).toBe(t.n);
        expect(r.peakIndex).toBe(t.peak);
        expect(r.peakValue).toBe(stat[t.peak]);
        const mm = voxelToMm(affine, r.peakIjk[0], r.peakIjk[1], r.peakIjk[2]);
        expect(r.peakMni).toEqual(mm.map((x) => x + 0));
        expect(r.region).toBe(r.label === 0 ? '' : table.get(r.label));
      }
      // regions by voxels, largest first
      for (let i = 1; i < mine.length; i++) expect(mine[i - 1].voxels).toBeGreaterThanOrEqual(mine[i].voxels);
    }
  });

  it('a hand case: a 3-voxel cluster over two regions', () => {
    const s = new Float32Array(N);
    s[idx(3, 5, 4)] = 3; // label 1, x = 20 − 6 = 14 mm
    s[idx(4, 5, 4)] = 4; // label 2
    s[idx(5, 5, 4)] = 6; // label 2, the peak; mm = (20 − 10, −10 + 10, −8 + 8) = (10, 0, 0)
    const cl = findClusters(s, dims, 1, '+', 6, 1, undefined, true);
    const r = clusterRegions(s, dims, affine, cl, atlas, table);
    expect(r.map((x) => [x.region, x.voxels, x.peakValue, x.peakMni])).toEqual([
      ['Middle_Slab', 2, 6, [10, 0, 0]],
      ['Left_Slab', 1, 3, [14, 0, 0]],
    ]);
    const csv = clusterRegionsCsv(r).trim().split('\n');
    expect(csv[0]).toBe('cluster,tail,cluster_voxels,label,region,voxels,peak_x,peak_y,peak_z_mm,peak_t');
    expect(csv[1]).toBe('1,+,3,2,Middle_Slab,2,10,0,0,6');
  });

  it('minClusterVoxels drops smaller clusters after correction and refuses bad values', () => {
    const kept = applyMinClusterVoxels(clusters, 20);
    expect(kept.every((c) => c.voxels >= 20)).toBe(true);
    expect(kept.length).toBe(clusters.filter((c) => c.voxels >= 20).length);
    expect(() => applyMinClusterVoxels(clusters, -1)).toThrow(/minClusterVoxels/);
  });

  it('cluster values: each subject’s mean in each cluster equals a direct mean', () => {
    const n = 5;
    const r = rng(8);
    const Y = new Float32Array(n * N).map(() => r.z());
    Y[2 * N + clusters[0].indices![0]] = NaN; // left out of subject 2's mean
    const vals = clusterValues(Y, n, N, clusters);
    for (let s = 0; s < n; s++) {
      clusters.forEach((c, k) => {
        const xs = Array.from(c.indices!, (v) => Y[s * N + v]).filter(Number.isFinite);
        expect(vals[s * clusters.length + k]).toBeCloseTo(xs.reduce((a, b) => a + b, 0) / xs.length, 10);
      });
    }
    const csv = clusterValuesCsv(['s1', 's2', 's3', 's4', 's5'], clusters, vals).split('\n');
    expect(csv[0]).toBe(['participant_id', ...clusters.map((c) => `cluster_${c.id}`)].join(','));
  });
});

describe('correlation of cluster values', () => {
  it('Pearson by hand: x = 1…5, y = (2, 4, 5, 4, 5) → r = √0.6', () => {
    // x̄ = 3, ȳ = 4; Sxy = 6, Sxx = 10, Syy = 6 → r = 6/√60 = √0.6; t = r√(3/0.4)
    const c = correlate([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]);
    expect(c.r).toBeCloseTo(Math.sqrt(0.6), 14);
    expect(c.t).toBeCloseTo(Math.sqrt(0.6) * Math.sqrt(3 / 0.4), 12);
    expect(c.p).toBeCloseTo(twoTailedTP(Math.sqrt(0.6 * 7.5), 3), 14);
  });
  it('Spearman is Pearson of average ranks', () => {
    // ranks of y (2,4,5,4,5): 1, 2.5, 4.5, 2.5, 4.5
    const c = correlate([1, 2, 3, 4, 5], [2, 4, 5, 4, 5], 'spearman');
    const p = correlate([1, 2, 3, 4, 5], [1, 2.5, 4.5, 2.5, 4.5]);
    expect(c.r).toBeCloseTo(p.r, 14);
    expect(c.p).toBeCloseTo(p.p, 14);
  });
});

describe('conjunction', () => {
  it('minimum statistic where both share a sign; both-nonzero; named error without overlap', () => {
    const a = Float32Array.from([0, 3, -2, 4, 5, NaN, 1]);
    const b = Float32Array.from([2, 2, -5, -1, 0, 3, 6]);
    const r = conjunction(a, b);
    expect(Array.from(r.map)).toEqual([0, 2, -2, 0, 0, 0, 1]);
    expect(r.voxels).toBe(3);
    expect(r.overlap).toBe(4);
    expect(Array.from(conjunction(a, b, 'both-nonzero').map)).toEqual([0, 1, 1, 1, 0, 0, 1]);
    expectNamed(() => conjunction(Float32Array.from([1, 0]), Float32Array.from([0, 1]), 'min-statistic', ['gmv_grf', 'reho_grf']), 'NoSpatialOverlap', {
      input: 'gmv_grf,reho_grf',
      message: /no non-zero voxel in common/,
    });
    expectNamed(() => conjunction(Float32Array.from([1, 0]), Float32Array.from([-1, 1])), 'NoSpatialOverlap', /opposite signs/);
  });

  it('conjunction clusters equal a plain twin of the overlap of two blob maps', () => {
    const a = blobMap(1).map((x) => (Math.abs(x) > 2 ? x : 0));
    const b = blobMap(2).map((x) => (Math.abs(x) > 2.5 ? x : 0));
    const r = conjunction(a, b);
    for (let v = 0; v < N; v++) {
      const expected = a[v] !== 0 && b[v] !== 0 && Math.sign(a[v]) === Math.sign(b[v]) ? Math.sign(a[v]) * Math.min(Math.abs(a[v]), Math.abs(b[v])) : 0;
      expect(r.map[v]).toBeCloseTo(expected, 6);
    }
    const cl = conjunctionClusters(r.map, dims);
    expect(cl.reduce((s, c) => s + c.voxels, 0)).toBe(r.voxels);
    expect(new Set(cl.map((c) => c.tail))).toEqual(new Set(['+', '-']));
    expect(cl.map((c) => c.id)).toEqual(cl.map((_, i) => i + 1));
  });
});

describe('bundled atlases', () => {
  const counts = (csv: string, col: string): Map<number, number> => {
    const lines = csv.trim().split(/\r?\n/);
    const head = lines[0].split(',');
    const ci = head.indexOf(col);
    // the Brainnetome description column holds quoted commas: count columns from the end
    const fromEnd = head.length - ci;
    return new Map(lines.slice(1).map((l) => {
      const f = l.split(',');
      return [Number(f[0]), Number(f[f.length - fromEnd])];
    }));
  };
  for (const [name, grid, labelsCsv, col, nLabels] of [
    ['aal', '3mm', 'atlases/aal/AAL116_labels.csv', 'voxels_3mm', 116],
    ['aal', '2mm', 'atlases/aal/AAL116_labels.csv', 'voxels_2mm', 116],
    ['brainnetome', '2mm', 'atlases/brainnetome/BN_Atlas_246_labels.csv', 'voxels_2mm', 246],
    ['brainnetome', '3mm', 'atlases/brainnetome/BN_Atlas_246_labels.csv', 'voxels_3mm_derived', 246],
  ] as const) {
    it(`${name} ${grid}: grid, labels and voxel counts as in its label table`, () => {
      const a = loadBundledAtlas(name, grid);
      expect(a.dims).toEqual(BUNDLED_GRIDS[grid].dims);
      expect(Array.from(a.affine)).toEqual(Array.from(BUNDLED_GRIDS[grid].affine));
      expect(a.table.size).toBe(nLabels);
      const ref = counts(readFileSync(assetPath(labelsCsv), 'utf8'), col);
      const mine = new Map<number, number>();
      for (const l of a.labels) if (l !== 0) mine.set(l, (mine.get(l) ?? 0) + 1);
      expect(mine).toEqual(ref);
    });
  }
  it('labels known coordinates: AAL cerebellar Crus 2 and precentral gyrus; Brainnetome A6cdl', () => {
    const aal = loadBundledAtlas('aal', '3mm');
    const at = (a: ReturnType<typeof loadBundledAtlas>, mm: [number, number, number]) => {
      const [i, j, k] = mmToVoxel(a.affine, ...mm).map(Math.round);
      return a.table.get(a.labels[i + a.dims[0] * (j + a.dims[1] * k)]);
    };
    expect(at(aal, [-30, -78, -39])).toBe('Cerebelum_Crus2_L');
    expect(at(aal, [-39, -6, 51])).toBe('Precentral_L');
    expect(at(loadBundledAtlas('brainnetome', '2mm'), [-38, -6, 50])).toBe('A6cdl_L');
  });
  it('another grid is a SpaceMismatch naming the atlas', () => {
    expectNamed(() => bundledAtlasFor('aal', [10, 10, 10], affine), 'SpaceMismatch', { input: 'atlas', message: /resampled/ });
    expectNamed(() => loadBundledAtlas('harvard-oxford', '2mm'), 'InvalidParameter', { input: 'atlas', message: /no bundled atlas/ });
  });
  it('another grid with a resampler: the 2 mm atlas sampled at each target voxel’s nearest source voxel', () => {
    // a plain nearest-neighbour twin for axis-aligned grids: 4 mm voxels over the 2 mm atlas
    const target = { dims: [45, 54, 45] as const, affine: Float64Array.from([-4, 0, 0, 90, 0, 4, 0, -126, 0, 0, 4, -72, 0, 0, 0, 1]) };
    const twin = (data: ArrayLike<number>, src: { dims: readonly number[] }, tg: { dims: readonly number[] }) => {
      const out = new Float32Array(tg.dims[0] * tg.dims[1] * tg.dims[2]);
      for (let k = 0; k < tg.dims[2]; k++) for (let j = 0; j < tg.dims[1]; j++) for (let i = 0; i < tg.dims[0]; i++) {
        out[i + tg.dims[0] * (j + tg.dims[1] * k)] = data[2 * i + src.dims[0] * (2 * j + src.dims[1] * 2 * k)];
      }
      return out;
    };
    const a = bundledAtlasFor('aal', target.dims, target.affine, 'atlas', twin);
    expect(a.dims).toEqual([45, 54, 45]);
    expect(a.citation).toMatch(/nearest neighbour/);
    const [i, j, k] = mmToVoxel(target.affine, -30, -78, -38).map(Math.round);
    expect(a.table.get(a.labels[i + 45 * (j + 54 * k)])).toBe('Cerebelum_Crus2_L');
  });
});

describe('neuroburst conjunction (command function)', () => {
  const dir = tmpDir('nb-conjunction-');

  it('overlaps two 3 mm maps in left cerebellar Crus 2 and labels it with the bundled AAL', () => {
    const g = BUNDLED_GRIDS['3mm'];
    const nv = g.dims[0] * g.dims[1] * g.dims[2];
    const [ci, cj, ck] = mmToVoxel(g.affine, -30, -78, -39).map(Math.round);
    const mk = (shift: number, val: number) => {
      const d = new Float32Array(nv);
      for (let k = -1; k <= 1; k++) for (let j = -1; j <= 1; j++) for (let i = -1; i <= 1 + shift; i++) d[ci + i + shift + g.dims[0] * (cj + j + g.dims[1] * (ck + k))] = val;
      return d;
    };
    const fa = join(dir, 'gmv_grf.nii.gz');
    const fb = join(dir, 'reho_grf.nii.gz');
    writeFileSync(fa, writeNifti({ dims: [...g.dims], affine: g.affine, data: mk(0, 3.5) }));
    writeFileSync(fb, writeNifti({ dims: [...g.dims], affine: g.affine, data: mk(1, 4) }));
    const out = join(dir, 'conj.nii.gz');
    const csv = join(dir, 'conj.csv');
    const { summary } = runConjunction(fa, fb, { atlas: 'aal', out, csv });
    // A covers i ∈ [ci−1, ci+1], B covers i ∈ [ci, ci+3]: the overlap is 2 × 3 × 3 = 18 voxels of value 3.5
    expect(summary.voxels).toBe(18);
    expect(summary.clusters).toHaveLength(1);
    expect(summary.clusters[0].peakValue).toBeCloseTo(3.5, 6);
    expect(summary.regions.reduce((s, r) => s + r.voxels, 0)).toBe(18);
    expect(summary.regions[0].region).toBe('Cerebelum_Crus2_L');
    const back = readNifti(readFileSync(out), 'conj.nii.gz');
    expect(back.data.reduce((s, x) => s + (x !== 0 ? 1 : 0), 0)).toBe(18);
    expect(readFileSync(csv, 'utf8')).toContain('Cerebelum_Crus2_L');
  });

  it('resamples the second map onto the first grid by nearest neighbour when the grids differ (a 2 mm ReHo map on a 3 mm GMV grid)', () => {
    const g = BUNDLED_GRIDS['3mm'];
    const nv = g.dims[0] * g.dims[1] * g.dims[2];
    const inBox = (x: number, y: number, z: number, c: [number, number, number], h: number) => Math.abs(x - c[0]) <= h && Math.abs(y - c[1]) <= h && Math.abs(z - c[2]) <= h;
    // A: 3 mm grid, value 3 in a 10 mm box around (−30, −78, −39); B: a 2 mm grid shifted by 0.4 mm, value 5 in a box 4 mm to the right
    const a = new Float32Array(nv);
    for (let k = 0; k < g.dims[2]; k++) for (let j = 0; j < g.dims[1]; j++) for (let i = 0; i < g.dims[0]; i++) {
      const [x, y, z] = voxelToMm(g.affine, i, j, k);
      if (inBox(x, y, z, [-30, -78, -39], 5)) a[i + g.dims[0] * (j + g.dims[1] * k)] = 3;
    }
    const bDims = [91, 109, 91];
    const bAff = Float64Array.from([-2, 0, 0, 90.4, 0, 2, 0, -126.4, 0, 0, 2, -72.4, 0, 0, 0, 1]);
    const b = new Float32Array(91 * 109 * 91);
    for (let k = 0; k < 91; k++) for (let j = 0; j < 109; j++) for (let i = 0; i < 91; i++) {
      if (inBox(90.4 - 2 * i, -126.4 + 2 * j, -72.4 + 2 * k, [-26, -78, -39], 5)) b[i + 91 * (j + 109 * k)] = 5;
    }
    const fa = join(dir, 'gmv3.nii.gz');
    const fb = join(dir, 'reho2.nii.gz');
    writeFileSync(fa, writeNifti({ dims: [...g.dims], affine: g.affine, data: a }));
    writeFileSync(fb, writeNifti({ dims: bDims, affine: bAff, data: b }));
    const out = join(dir, 'conj2.nii.gz');
    const { summary } = runConjunction(fa, fb, { atlas: 'aal', out });
    expect(summary.resampled).toEqual(['reho2.nii.gz']);
    // twin: B at the nearest 2 mm voxel of each 3 mm voxel centre (index = (mm − origin)/step, rounded)
    let want = 0;
    for (let k = 0; k < g.dims[2]; k++) for (let j = 0; j < g.dims[1]; j++) for (let i = 0; i < g.dims[0]; i++) {
      const [x, y, z] = voxelToMm(g.affine, i, j, k);
      const [bi, bj, bk] = [Math.round((90.4 - x) / 2), Math.round((y + 126.4) / 2), Math.round((z + 72.4) / 2)];
      const bv = bi >= 0 && bj >= 0 && bk >= 0 && bi < 91 && bj < 109 && bk < 91 ? b[bi + 91 * (bj + 109 * bk)]! : 0;
      if (a[i + g.dims[0] * (j + g.dims[1] * k)] && bv) want++;
    }
    expect(want).toBeGreaterThan(0);
    expect(summary.voxels).toBe(want);
    expect(summary.clusters).toHaveLength(1);
    expect(summary.clusters[0]!.peakValue).toBe(3);
    expect(summary.regions.some((r) => r.region === 'Cerebelum_Crus2_L')).toBe(true);
    expect(readNifti(readFileSync(out), 'c').header.dims.slice(0, 3)).toEqual([...g.dims]);
  });

  it('two maps with no voxel in common (NoSpatialOverlap) or grids that share no space (NoGridOverlap) name the files', () => {
    const g = BUNDLED_GRIDS['3mm'];
    const nv = g.dims[0] * g.dims[1] * g.dims[2];
    const one = (v: number) => {
      const d = new Float32Array(nv);
      d[v] = 4;
      return d;
    };
    const fa = join(dir, 'gmv_grf.nii.gz');
    const fb = join(dir, 'reho_far.nii.gz');
    writeFileSync(fa, writeNifti({ dims: [...g.dims], affine: g.affine, data: one(1000) }));
    writeFileSync(fb, writeNifti({ dims: [...g.dims], affine: g.affine, data: one(2000) }));
    expectNamed(() => runConjunction(fa, fb), 'NoSpatialOverlap', { input: 'gmv_grf.nii.gz,reho_far.nii.gz' });
    const far = Float64Array.from(g.affine);
    far[3] = 5000;
    writeFileSync(fb, writeNifti({ dims: [...g.dims], affine: far, data: one(1000) }));
    expectNamed(() => runConjunction(fa, fb), 'NoGridOverlap', { input: 'reho_far.nii.gz', message: /shares no voxel/ });
  });
});
