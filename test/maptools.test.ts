/**
 * Map tools (bin/maptools.ts) on the bundled published IGE network (Ji et al. 2025, 3 mm
 * grid, vox_offset 0 and NaN scaling in its header) and on synthetic maps with quirky headers.
 * (The bundled copies, whose SHA-256 match the fixture README, store vox_offset 352 and
 * slope 1; the quirky variants are made here by patching those header fields.)
 * References are independent of the NIfTI reader and of the kernels: voxels decoded straight
 * from the file bytes (float32 little-endian at byte 352) and the affine written out from the
 * fixture's README ([[-3,0,0,90],[0,3,0,-126],[0,0,3,-72]]).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { compareReport, overlapReport, peakReport } from '../bin/maptools.ts';
import { writeNifti } from '../shared/nifti/index.ts';
import { atlasLabelStats, atlasMaskExact, atlasNullValues } from '../shared/netmap/atlas-mask-null.ts';
import { FIXTURES } from './helpers/fixtures.ts';
import { expectNamed } from './helpers/errors.ts';

const NET = join(FIXTURES, 'network');
const IGE = join(NET, 'IGEnetwork.nii');
const AAL = join(NET, 'AAL_618361.nii');
const BRAIN = join(NET, 'BrainMask618361_BH.nii');
const [NX, NY, NZ] = [61, 83, 61];

/** float32 voxels straight from the file (data start at byte 352; no scaling). */
function rawVoxels(path: string): Float32Array {
  const b = readFileSync(path);
  expect(b.length).toBe(352 + NX * NY * NZ * 4);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Float32Array.from({ length: NX * NY * NZ }, (_, v) => dv.getFloat32(352 + 4 * v, true));
}
const ijkOf = (v: number): [number, number, number] => [v % NX, Math.floor(v / NX) % NY, Math.floor(v / (NX * NY))];
const mniOf = ([i, j, k]: number[]) => [-3 * i! + 90, 3 * j! - 126, 3 * k! - 72];

/** Plain twin: every voxel (in the region) with the extreme value, in index order. */
function extreme(values: Float32Array, inRegion: (v: number) => boolean, sign: 1 | -1) {
  let best = -Infinity;
  for (let v = 0; v < values.length; v++) if (inRegion(v) && !Number.isNaN(values[v]!)) best = Math.max(best, sign * values[v]!);
  const at: number[] = [];
  for (let v = 0; v < values.length; v++) if (inRegion(v) && sign * values[v]! === best) at.push(v);
  return { value: sign * best, at };
}

const tmp = mkdtempSync(join(tmpdir(), 'nb-maptools-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('neuroburst peak on the published IGE network', () => {
  const ige = rawVoxels(IGE);
  const aal = rawVoxels(AAL);

  it('whole-map maximum and minimum with every tie equal a raw-byte scan', () => {
    const r = peakReport({ map: IGE, min: true });
    for (const [entry, sign] of [[r.max, 1], [r.min!, -1]] as const) {
      const ref = extreme(ige, () => true, sign);
      expect(entry.value).toBe(ref.value);
      expect(entry.count).toBe(ref.at.length);
      const all = [{ ijk: entry.ijk, mni: entry.mni }, ...entry.ties];
      expect(all.map((t) => t.ijk)).toEqual(ref.at.map(ijkOf));
      expect(all.map((t) => t.mni)).toEqual(ref.at.map((v) => mniOf(ijkOf(v))));
    }
    // the published map stores (pos − neg)/21: its maximum is 20/21, held by two voxels
    expect(Math.abs(r.max.value * 21 - 20)).toBeLessThan(1e-5);
    expect(r.max.count).toBe(2);
    console.log(`IGE whole-map max ${r.max.value * 21}/21 at MNI ${JSON.stringify(r.max.mni)} tied with ${JSON.stringify(r.max.ties.map((t) => t.mni))}; min ${r.min!.value * 21}/21 at ${JSON.stringify(r.min!.mni)} tied with ${JSON.stringify(r.min!.ties.map((t) => t.mni))}`);
  });

  it('peak within the left thalamus (AAL 77) equals a raw-byte scan of the label\'s voxels', () => {
    const r = peakReport({ map: IGE, atlas: AAL, labels: '77', min: true });
    const inThal = (v: number) => aal[v] === 77;
    let n = 0;
    for (let v = 0; v < aal.length; v++) if (inThal(v)) n++;
    expect(r.regionVoxels).toBe(n);
    for (const [entry, sign] of [[r.max, 1], [r.min!, -1]] as const) {
      const ref = extreme(ige, inThal, sign);
      expect(entry.value).toBe(ref.value);
      expect([entry.ijk, ...entry.ties.map((t) => t.ijk)]).toEqual(ref.at.map(ijkOf));
      expect(entry.mni).toEqual(mniOf(ijkOf(ref.at[0]!)));
    }
    expect(r.max.mni[0]).toBeLessThan(0); // left hemisphere
    console.log(`IGE peak in AAL Thalamus_L (${n} voxels): ${(r.max.value * 21).toFixed(3)}/21 at MNI ${JSON.stringify(r.max.mni)} (${r.max.count} voxel(s))`);
    // both thalami
    const both = peakReport({ map: IGE, atlas: AAL, labels: '77,78' });
    const refBoth = extreme(ige, (v) => aal[v] === 77 || aal[v] === 78, 1);
    expect(both.max.value).toBe(refBoth.value);
    expect(both.max.count).toBe(refBoth.at.length);
  });

  it('local maxima inside the brain mask are ≥ their neighbours and at least --distance apart', () => {
    const r = peakReport({ map: IGE, mask: BRAIN, local: 5, distance: 12 });
    expect(r.local).toHaveLength(5);
    expect(r.local![0]!.value).toBe(r.max.value);
    for (let a = 0; a < 5; a++) for (let b = a + 1; b < 5; b++) {
      const [p, q] = [r.local![a]!.mni, r.local![b]!.mni];
      expect(Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2])).toBeGreaterThanOrEqual(12);
    }
    const brain = rawVoxels(BRAIN);
    for (const m of r.local!) {
      const [i, j, k] = m.ijk;
      expect(ige[i + NX * (j + NY * k)]).toBe(m.value);
      for (let dk = -1; dk <= 1; dk++) for (let dj = -1; dj <= 1; dj++) for (let di = -1; di <= 1; di++) {
        const w = i + di + NX * (j + dj + NY * (k + dk));
        if (brain[w] !== 0) expect(ige[w]!).toBeLessThanOrEqual(m.value);
      }
    }
  });

  it('refuses absent labels, both --atlas and --mask, and a region on another grid', () => {
    expectNamed(() => peakReport({ map: IGE, atlas: AAL, labels: '999' }), 'InvalidParameter');
    expectNamed(() => peakReport({ map: IGE, atlas: AAL, labels: '77', mask: BRAIN }), 'InvalidParameter');
    expectNamed(() => peakReport({ map: IGE, atlas: AAL }), 'InvalidParameter');
    const other = join(tmp, 'other.nii');
    writeFileSync(other, writeNifti({ dims: [4, 4, 4], affine: Float64Array.from([2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]), data: new Float32Array(64).fill(1) }, { gzip: false }));
    expectNamed(() => peakReport({ map: IGE, mask: other }), 'SpaceMismatch');
    expectNamed(() => peakReport({ map: join(tmp, 'missing.nii') }), 'InvalidParameter');
  });
});

describe('quirky headers: values after the header\'s scaling', () => {
  it('vox_offset 0 with scl_slope 2, scl_inter 1 gives 2·stored + 1; NaN slope means unscaled', () => {
    const stored = Float32Array.from({ length: 27 }, (_, v) => (v === 4 || v === 13 || v === 22 ? 5 : v % 5));
    const bytes = writeNifti({ dims: [3, 3, 3], affine: Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]), data: stored }, { gzip: false });
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(dv.getFloat32(108, true)).toBe(352);
    dv.setFloat32(108, 0, true);
    dv.setFloat32(112, 2, true);
    dv.setFloat32(116, 1, true);
    const scaled = join(tmp, 'scaled.nii');
    writeFileSync(scaled, bytes);
    const r = peakReport({ map: scaled, min: true });
    expect(r.max.value).toBe(11);
    expect([r.max.ijk, ...r.max.ties.map((t) => t.ijk)]).toEqual([[1, 1, 0], [1, 1, 1], [1, 1, 2]]);
    expect(r.min!.value).toBe(1);
    dv.setFloat32(112, NaN, true);
    const nan = join(tmp, 'nan.nii');
    writeFileSync(nan, bytes);
    expect(peakReport({ map: nan }).max.value).toBe(5);
  });

  it('the IGE network with vox_offset 0 and NaN slope/intercept gives the same peaks as the file as stored', () => {
    const bytes = new Uint8Array(readFileSync(IGE));
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    dv.setFloat32(108, 0, true);
    dv.setFloat32(112, NaN, true);
    dv.setFloat32(116, NaN, true);
    const quirky = join(tmp, 'IGE_quirky.nii');
    writeFileSync(quirky, bytes);
    const a = peakReport({ map: quirky, atlas: AAL, labels: '77', min: true, local: 3 });
    const b = peakReport({ map: IGE, atlas: AAL, labels: '77', min: true, local: 3 });
    expect({ ...a, map: '' }).toEqual({ ...b, map: '' });
  });
});

describe('neuroburst compare and overlap', () => {
  it('compare: Pearson and Spearman of the IGE map with the AAL-thalamus indicator inside the brain equal plain twins', () => {
    const ige = rawVoxels(IGE);
    const aal = rawVoxels(AAL);
    const brain = rawVoxels(BRAIN);
    const ind = Float32Array.from(aal, (l) => (l === 77 || l === 78 ? 1 : 0));
    const indPath = join(tmp, 'thal.nii');
    writeFileSync(indPath, writeNifti({ dims: [NX, NY, NZ], affine: Float64Array.from([-3, 0, 0, 90, 0, 3, 0, -126, 0, 0, 3, -72, 0, 0, 0, 1]), data: ind }, { gzip: false }));
    const r = compareReport({ map: [IGE, indPath], mask: BRAIN });
    const xs: number[] = [];
    const ys: number[] = [];
    for (let v = 0; v < ige.length; v++) if (brain[v] !== 0) (xs.push(ige[v]!), ys.push(ind[v]!));
    expect(r.n).toBe(xs.length);
    const pear = (a: number[], b: number[]) => {
      const ma = a.reduce((s, x) => s + x, 0) / a.length;
      const mb = b.reduce((s, x) => s + x, 0) / b.length;
      let sab = 0, saa = 0, sbb = 0;
      for (let i = 0; i < a.length; i++) (sab += (a[i]! - ma) * (b[i]! - mb)), (saa += (a[i]! - ma) ** 2), (sbb += (b[i]! - mb) ** 2);
      return sab / Math.sqrt(saa * sbb);
    };
    const rank = (a: number[]) => {
      const idx = a.map((_, i) => i).sort((p, q) => a[p]! - a[q]!);
      const out = new Array<number>(a.length);
      for (let i = 0; i < idx.length; ) {
        let j = i;
        while (j + 1 < idx.length && a[idx[j + 1]!] === a[idx[i]!]) j++;
        for (let m = i; m <= j; m++) out[idx[m]!] = (i + j) / 2 + 1;
        i = j + 1;
      }
      return out;
    };
    expect(Math.abs(r.pearson - pear(xs, ys))).toBeLessThan(1e-7);
    expect(Math.abs(r.spearman - pear(rank(xs), rank(ys)))).toBeLessThan(1e-7);
    expectNamed(() => compareReport({ map: [IGE] }), 'InvalidParameter');
  });

  it('overlap: mean × 100 in the thalami equals a direct mean; p = (1 + #null ≥ obs)/(1 + n) over seeded random label sets', () => {
    const ige = rawVoxels(IGE);
    const aal = rawVoxels(AAL);
    let s = 0;
    let n = 0;
    for (let v = 0; v < ige.length; v++) if (aal[v] === 77 || aal[v] === 78) (s += ige[v]!), n++;
    const r = overlapReport({ map: IGE, atlas: AAL, labels: '77,78', null: 500, seed: 3 });
    expect(Math.abs(r.observed - (100 * s) / n)).toBeLessThan(1e-6);
    expect(r.atlasLabels).toBe(116);
    const nul = atlasNullValues(atlasLabelStats(ige, aal), 2, 3, 0, 500);
    const hits = nul.filter((x) => x >= (100 * s) / n - 1e-9).length;
    expect(r.null!.p).toBeCloseTo((1 + hits) / 501, 12);
    expect(overlapReport({ map: IGE, atlas: AAL, labels: '77,78', null: 500, seed: 3 })).toEqual(r);
    // the Monte Carlo p converges to the exact p over all C(116, 2) = 6670 label pairs
    const exact = atlasMaskExact(atlasLabelStats(ige, aal), [77, 78]);
    expect(exact.nSubsets).toBe(6670);
    expect(overlapReport({ map: IGE, atlas: AAL, labels: '77,78', exact: true }).exact).toEqual({ subsets: 6670, p: exact.p });
    const big = overlapReport({ map: IGE, atlas: AAL, labels: '77,78', null: 20000, seed: 1 });
    expect(Math.abs(big.null!.p - exact.p)).toBeLessThan(4 * Math.sqrt((exact.p * (1 - exact.p)) / 20000));
    console.log(`IGE mean × 100 in AAL thalami: ${r.observed.toFixed(3)}; p = ${r.null!.p} vs 500 random pairs of AAL labels, ${big.null!.p} vs 20000; exact over all 6670 pairs ${exact.p.toFixed(5)}`);
  });
});

describe('CLI', () => {
  it('`neuroburst peak --json` prints the documented shape; errors exit 2 (invalid input) with a named error', async () => {
    const run = promisify(execFile);
    const bin = join(import.meta.dirname, '..', 'bin', 'neuroburst.mjs');
    const { stdout } = await run(process.execPath, [bin, 'peak', '--map', IGE, '--atlas', AAL, '--labels', '77', '--min', '--local', '2', '--distance', '9', '--json']);
    const j = JSON.parse(stdout);
    expect(Object.keys(j.max).sort()).toEqual(['count', 'ijk', 'mni', 'ties', 'value']);
    expect(j.min).toBeDefined();
    expect(j.local).toHaveLength(2);
    expect(j.max).toEqual(peakReport({ map: IGE, atlas: AAL, labels: '77' }).max);
    const bad = await run(process.execPath, [bin, 'peak', '--map', IGE, '--atlas', AAL, '--labels', '999']).catch((e) => e);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/InvalidParameter/);
  }, 60_000);
});
