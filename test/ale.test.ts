import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from './helpers/fixture-job.ts';
import { readNifti, voxelToMm } from '../shared/nifti/index.ts';
import { parseCoordinates, parseSleuth, talToMni, mniToTal } from '../shared/ale/coordinates.ts';
import { aleFwhmMm, aleKernel } from '../shared/ale/kernel.ts';
import { computeAle, computeMaMaps, fociToVoxels, makeGrid } from '../shared/ale/ale.ts';
import { aleNull, aleP, clusterFormingAle } from '../shared/ale/null.ts';
import { observeAle } from '../shared/ale/analysis.ts';
import { aleClusters } from '../shared/ale/clusters.ts';
import { AleMonteCarlo, naiveIteration } from '../shared/ale/montecarlo.ts';
import { minClusterSize, nullToP, sortedNull } from '../shared/ale/fwe.ts';
import { NeuroburstError } from '../shared/errors.ts';

const ALE = join(FIXTURES, 'ale');
const SLEUTH = join(ALE, 'sleuth');

describe('ALE kernels', () => {
  it('reproduces the reference FWHM and focus values', () => {
    expect(aleFwhmMm(10)).toBeCloseTo(10.0026, 4);
    expect(aleFwhmMm(100)).toBeCloseTo(8.5837, 4);
    expect(aleKernel(10, 2).peak).toBeCloseTo(0.0066287, 7);
    expect(aleKernel(100, 2).peak).toBeCloseTo(0.0104884, 7);
  });
  it('is separable, normalised and truncated at int(4 sigma + 0.5)', () => {
    const k = aleKernel(20, 2);
    const sigma = aleFwhmMm(20) / 2 / Math.sqrt(8 * Math.log(2));
    expect(k.radius).toBe(Math.floor(4 * sigma + 0.5));
    const sum = k.values.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 12);
    const w0 = 1 / Array.from({ length: 2 * k.radius + 1 }, (_, i) => Math.exp(-((i - k.radius) ** 2) / (2 * sigma * sigma))).reduce((a, b) => a + b, 0);
    expect(k.peak).toBeCloseTo(w0 ** 3, 15);
  });
});

describe('coordinate parsers', () => {
  it('reads every valid Sleuth fixture and rejects the malformed ones naming the line', () => {
    const files = readdirSync(SLEUTH).sort();
    const bad: Record<string, RegExp> = {
      'test_sleuth_file3.txt': /line 5: "dog" is not a number/,
      'test_sleuth_file4.txt': /line 5: .*exactly three numbers/,
      'test_sleuth_file5.txt': /line 1: unknown reference space "Dog"/,
    };
    for (const f of files) {
      const text = readFileSync(join(SLEUTH, f), 'utf8');
      if (bad[f]) {
        expect(() => parseSleuth(text, f), f).toThrow(bad[f]!);
        try {
          parseSleuth(text, f);
        } catch (e) {
          expect((e as NeuroburstError).name).toBe('InvalidCoordinates');
        }
        continue;
      }
      const s = parseSleuth(text, f);
      expect(s.experiments.length, f).toBeGreaterThan(0);
    }
    const know = parseSleuth(readFileSync(join(SLEUTH, 'semantic_knowledge_children.txt'), 'utf8'), 'k');
    expect(know.experiments.length).toBe(21);
    expect(know.experiments.reduce((a, e) => a + e.foci.length, 0)).toBe(262);
    expect(know.experiments.reduce((a, e) => a + e.sampleSize, 0)).toBe(456);
    const rel = parseSleuth(readFileSync(join(SLEUTH, 'semantic_relatedness_children.txt'), 'utf8'), 'r');
    expect([rel.experiments.length, rel.experiments.reduce((a, e) => a + e.foci.length, 0), rel.experiments.reduce((a, e) => a + e.sampleSize, 0)]).toEqual([16, 201, 353]);
    const t1 = parseSleuth(readFileSync(join(SLEUTH, 'test_sleuth_file.txt'), 'utf8'), 't1');
    expect(t1.experiments.map((e) => [e.sampleSize, e.foci.length])).toEqual([[50, 4], [46, 2], [20, 1]]);
    expect(t1.experiments[2]!.id).toContain('ExperimentName3');
    const t2 = parseSleuth(readFileSync(join(SLEUTH, 'test_sleuth_file2.txt'), 'utf8'), 't2');
    expect(t2.experiments[0]!.space).toBe('TAL');
    const mni = t2.experiments[0]!.foci[0]!;
    const back = mniToTal(mni[0]!, mni[1]!, mni[2]!);
    [-18, -58, -24].forEach((x, i) => expect(back[i]).toBeCloseTo(x, 10));
  });
  it('accepts \\n, \\r\\n and \\r line endings and tabs or spaces alike', () => {
    const base = ['// Reference=MNI', '// A: one', '// Subjects=12', '10 20 30', '-4\t5\t6', '', '// B: two', '// Subjects = 8', '1.5  -2.5  3'];
    const sets = ['\n', '\r\n', '\r'].map((eol) => parseSleuth(base.join(eol) + eol, 'x'));
    for (const s of sets) expect(s).toEqual(sets[0]);
    expect(sets[0]!.experiments.map((e) => e.foci)).toEqual([[[10, 20, 30], [-4, 5, 6]], [[1.5, -2.5, 3]]]);
  });
  it('rejects foci before Subjects and a missing Reference line', () => {
    expect(() => parseSleuth('// A\n1 2 3\n', 'x')).toThrow(/line 1/);
    expect(() => parseSleuth('// Reference=MNI\n// A\n1 2 3\n', 'x')).toThrow(/line 3: a focus row before/);
  });
  it('reads the NiMARE pain dataset JSON', () => {
    const s = parseCoordinates(readFileSync(join(ALE, 'nidm_pain_dset.json')), 'pain');
    expect(s.experiments.length).toBe(21);
    expect(s.experiments.reduce((a, e) => a + e.foci.length, 0)).toBe(267);
    expect(s.experiments[0]!.id).toBe('pain_01.nidm-1');
    expect(() => parseCoordinates('{"s": {"contrasts": {"1": {"coords": {"space": "MNI", "x": [1], "y": [2], "z": [3]}, "metadata": {}}}}}', 'j')).toThrow(/sample_sizes/);
  });
  it('talToMni inverts the icbm_other2tal matrix', () => {
    const p = talToMni(10, -20, 30);
    const q = mniToTal(...p);
    [10, -20, 30].forEach((x, i) => expect(q[i]).toBeCloseTo(x, 12));
  });
});

/** a small synthetic grid: 12×11×10 voxels of 2 mm, mask = all but a corner block */
function smallGrid() {
  const dims: [number, number, number] = [12, 11, 10];
  const mask = new Uint8Array(12 * 11 * 10).fill(1);
  for (let z = 0; z < 3; z++) for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) mask[x + y * 12 + z * 132] = 0;
  return makeGrid(dims, [-2, 0, 0, 20, 0, 2, 0, -10, 0, 0, 2, -8, 0, 0, 0, 1], mask);
}

describe('MA and ALE', () => {
  it('match a plain implementation on a small grid', () => {
    const grid = smallGrid();
    const exps = [
      { n: 10, ijk: [[2, 2, 2], [4, 3, 2], [11, 10, 9]] },
      { n: 25, ijk: [[6, 5, 4], [-3, 5, 4]] },
      { n: 7, ijk: [[0, 0, 0]] },
    ];
    const kernels = exps.map((e) => aleKernel(e.n, 2));
    const ma = computeMaMaps(grid, exps.map((e) => Int32Array.from(e.ijk.flat())), kernels);
    const ale = computeAle(grid, ma);
    const [nx, ny, nz] = grid.dims;
    for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
      const v = x + y * nx + z * nx * ny;
      let q = 1;
      exps.forEach((e, ei) => {
        const k = kernels[ei]!;
        let m = 0;
        for (const [i, j, l] of e.ijk) {
          const [a, b, c] = [x - i!, y - j!, z - l!];
          if (Math.abs(a) > k.radius || Math.abs(b) > k.radius || Math.abs(c) > k.radius) continue;
          m = Math.max(m, k.w[a + k.radius]! * k.w[b + k.radius]! * k.w[c + k.radius]!);
        }
        if (!grid.mask[v]) m = 0;
        q *= 1 - m;
      });
      expect(ale[v]).toBe(grid.mask[v] ? 1 - q : 0);
    }
  });
  it('truncates mm to voxels toward zero by default and can round', () => {
    const a = Float64Array.from([-2, 0, 0, 90, 0, 2, 0, -126, 0, 0, 2, -72, 0, 0, 0, 1]);
    expect(Array.from(fociToVoxels([[-41, -125, -71]], a, 'truncate'))).toEqual([65, 0, 0]);
    expect(Array.from(fociToVoxels([[-41, -125, -71]], a, 'round'))).toEqual([66, 1, 1]);
  });
});

describe('histogram null', () => {
  it('matches brute-force enumeration of independent voxel draws for three tiny experiments', () => {
    const grid = smallGrid();
    const exps = [[[5, 5, 5]], [[6, 5, 5], [9, 8, 7]], [[3, 7, 6]]];
    const kernels = [aleKernel(12, 2), aleKernel(30, 2), aleKernel(8, 2)];
    const ma = computeMaMaps(grid, exps.map((e) => Int32Array.from(e.flat())), kernels);
    const nul = aleNull(ma, grid.maskIndex.length);
    // enumerate: each experiment contributes one in-mask voxel value, in the bin whose left edge i / 1e5 is
    // the largest at or below it; scores are binned as the reference does, floor(score * (1 / 1e-5))
    const INV = 1 / 1e-5;
    const binOf = (x: number) => {
      let b = 0;
      while ((b + 1) / 1e5 <= x) b++;
      return b;
    };
    const vals = ma.map((m) => {
      const out = new Map<number, number>();
      out.set(0, grid.maskIndex.length - m.value.length);
      for (const x of m.value) out.set(binOf(x), (out.get(binOf(x)) ?? 0) + 1);
      return [...out.entries()];
    });
    const total = grid.maskIndex.length ** 3;
    const brute = new Map<number, number>();
    for (const [b0, c0] of vals[0]!) for (const [b1, c1] of vals[1]!) {
      const s01 = Math.floor((1 - (1 - b1 / 1e5) * (1 - b0 / 1e5)) * INV);
      for (const [b2, c2] of vals[2]!) {
        const s = Math.floor((1 - (1 - b2 / 1e5) * (1 - s01 / 1e5)) * INV);
        brute.set(s, (brute.get(s) ?? 0) + (c0 * c1 * c2) / total);
      }
    }
    for (const [b, w] of brute) expect(nul.weights[b]).toBeCloseTo(w, 12);
    const sumW = nul.weights.reduce((a, b) => a + b, 0);
    expect(sumW).toBeCloseTo(1, 12);
    // p is the tail from bin round(a / 1e-5)
    const a = 0.004;
    let tail = 0;
    for (const [b, w] of brute) if (b >= Math.round(a * 1e5)) tail += w;
    expect(aleP(nul, a)).toBeCloseTo(tail, 12);
    expect(aleP(nul, 0)).toBe(1);
  });
});

describe('pain dataset development numbers (NiMARE 0.5.5)', () => {
  const m = readNifti(readFileSync(join(ALE, 'masks', 'MNI152_2x2x2_brainmask.nii.gz')), 'mask');
  const grid = makeGrid([91, 109, 91], m.header.affine, m.data);
  const set = parseCoordinates(readFileSync(join(ALE, 'nidm_pain_dset.json')), 'pain');
  const obs = observeAle(grid, set.experiments, 'truncate', 0.001);
  it('max ALE 0.0341202 at MNI (38, 4, 2); 2649 voxels with p < 0.001', () => {
    expect(grid.maskIndex.length).toBe(228483);
    let mi = grid.maskIndex[0]!;
    for (const v of grid.maskIndex) if (obs.ale[v]! > obs.ale[mi]!) mi = v;
    expect(obs.ale[mi]).toBeCloseTo(0.0341202, 7);
    expect(voxelToMm(grid.affine, mi % 91, Math.floor(mi / 91) % 109, Math.floor(mi / 91 / 109))).toEqual([38, 4, 2]);
    let n = 0;
    for (const v of grid.maskIndex) if (obs.p[v]! < 0.001) n++;
    expect(n).toBe(2649);
    expect(obs.clusterFormingAle).toBe(clusterFormingAle(obs.nul, 0.001));
    expect(aleP(obs.nul, obs.clusterFormingAle + 1e-5)).toBeLessThanOrEqual(0.001);
  });
  it('histogram null: the gathered convolution equals the plain double loop over bins bit for bit', () => {
    // plain twin: per experiment, every non-zero bin of its histogram against every non-zero bin of the running one
    const nBins = obs.nul.nBins;
    const hist = (value: Float64Array) => {
      const h = new Float64Array(nBins);
      for (const x of value) {
        let b = Math.floor(x * 1e5);
        while (b > 0 && b / 1e5 > x) b--;
        while (b + 1 < nBins && (b + 1) / 1e5 <= x) b++;
        h[b]! += 1;
      }
      h[0]! += grid.maskIndex.length - value.length;
      const s = h.reduce((a, b) => a + b, 0);
      return h.map((x) => x / s);
    };
    let run = hist(obs.ma[0]!.value);
    for (let e = 1; e < obs.ma.length; e++) {
      const h = hist(obs.ma[e]!.value);
      const next = new Float64Array(nBins);
      const nzH = [...h.keys()].filter((i) => h[i]! > 0);
      const nzRun = [...run.keys()].filter((j) => run[j]! > 0);
      for (const i of nzH) {
        for (const j of nzRun) {
          const idx = Math.floor((1 - (1 - i / 1e5) * (1 - j / 1e5)) * (1 / (1 / 1e5)));
          next[Math.min(idx, nBins - 1)]! += h[i]! * run[j]!;
        }
      }
      run = next;
    }
    expect(Buffer.from(obs.nul.weights.buffer).equals(Buffer.from(run.buffer))).toBe(true);
  });
  it('Monte-Carlo kernel: observed foci reproduce the observed map; relocations match a plain implementation; batches do not matter', () => {
    const counts = set.experiments.map((e) => e.foci.length);
    const mc = new AleMonteCarlo(grid, obs.kernels, counts, obs.clusterFormingAle);
    const it0 = mc.iterate(obs.ijk);
    let mx = 0;
    for (const v of grid.maskIndex) mx = Math.max(mx, obs.ale[v]!);
    expect(it0.maxAle).toBe(mx);
    const all = mc.run(7, 0, 6);
    const split = new Float64Array(18);
    split.set(new AleMonteCarlo(grid, obs.kernels, counts, obs.clusterFormingAle).run(7, 0, 2), 0);
    split.set(mc.run(7, 2, 6), 6);
    expect(Array.from(split)).toEqual(Array.from(all));
    for (const k of [0, 4]) {
      const ref = naiveIteration(grid, obs.kernels, counts, obs.clusterFormingAle, 7, k);
      expect(all[k * 3]).toBe(ref.maxAle);
      expect(all[k * 3 + 1]).toBe(ref.maxSize);
      expect(all[k * 3 + 2]).toBeCloseTo(ref.maxMass, 12);
    }
  });
  it('Monte-Carlo kernel: block bounds never drop a voxel — low, high (no cluster) and default thresholds match the plain implementation', () => {
    const counts = set.experiments.map((e) => e.foci.length);
    for (const [thr, seed] of [[0.004, 21], [0.03, 22], [0.5, 23], [obs.clusterFormingAle, 24]] as const) {
      const mc = new AleMonteCarlo(grid, obs.kernels, counts, thr);
      const got = mc.run(seed, 0, 2);
      for (let k = 0; k < 2; k++) {
        const ref = naiveIteration(grid, obs.kernels, counts, thr, seed, k);
        expect(got[k * 3]).toBe(ref.maxAle);
        expect(got[k * 3 + 1]).toBe(ref.maxSize);
        expect(got[k * 3 + 2]).toBeCloseTo(ref.maxMass, 12);
        if (thr >= 0.03) expect(ref.maxSize).toBe(0);
      }
    }
  });
});

describe('Monte-Carlo FWE p', () => {
  it('counts null values at or above, clamped to [1/n, 1 - 1/n]', () => {
    const s = sortedNull([5, 1, 3, 3, 8, 2, 9, 4, 7, 6]);
    expect(nullToP(s, 3)).toBeCloseTo(0.8, 15);
    expect(nullToP(s, 100)).toBeCloseTo(0.1, 15);
    expect(nullToP(s, 0)).toBeCloseTo(0.9, 15);
    expect(minClusterSize(s, 0.25)).toBe(8);
    expect(nullToP(s, 9)).toBeCloseTo(0.1, 15);
    expect(nullToP(s, 8)).toBeCloseTo(0.2, 15);
  });
});

describe('Monte-Carlo kernel on a small grid (edges, foci outside the grid, overlapping foci)', () => {
  it('iterate equals computeMaMaps + computeAle + aleClusters for hand-placed foci', () => {
    const dims: [number, number, number] = [19, 17, 14];
    const n = dims[0] * dims[1] * dims[2];
    const mask = new Uint8Array(n);
    for (let z = 0; z < dims[2]; z++) for (let y = 0; y < dims[1]; y++) for (let x = 0; x < dims[0]; x++) {
      // an ellipsoid with a hole, touching the grid edge in x
      const d = ((x - 9) / 10) ** 2 + ((y - 8) / 7) ** 2 + ((z - 7) / 6) ** 2;
      if (d < 1 && !(x === 9 && y === 8)) mask[x + dims[0] * (y + dims[1] * z)] = 1;
    }
    const affine = [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1];
    const grid = makeGrid(dims, affine, mask);
    const kernels = [aleKernel(12, 2), aleKernel(30, 2), aleKernel(12, 2)];
    const foci = [
      Int32Array.from([3, 3, 3, 5, 4, 3, 18, 16, 13]),
      Int32Array.from([9, 8, 7, 10, 9, 7, -4, 8, 7, 9, 8, 20]),
      Int32Array.from([9, 9, 6, 0, 0, 0]),
    ];
    const ale = computeAle(grid, computeMaMaps(grid, foci, kernels));
    let mx = 0;
    for (const v of grid.maskIndex) mx = Math.max(mx, ale[v]!);
    for (const thr of [0.005, 0.01, 0.02, mx * 0.999, mx * 2]) {
      const { clusters } = aleClusters(grid, ale, thr);
      const got = new AleMonteCarlo(grid, kernels, foci.map((f) => f.length / 3), thr).iterate(foci);
      expect(got.maxAle).toBe(mx);
      expect(got.maxSize).toBe(clusters.length ? Math.max(...clusters.map((c) => c.voxels)) : 0);
      expect(got.maxMass).toBeCloseTo(clusters.length ? Math.max(...clusters.map((c) => c.mass)) : 0, 13);
    }
  });
});
