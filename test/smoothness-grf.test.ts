import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { grfClusterP, grfThreshold } from '../shared/stats/grf.ts';
import { SMOOTHEST_DOF_LUT } from '../shared/stats/smoothest-dof-lut.ts';
import {
  combinePlaneSums,
  estimateSmoothness,
  smoothestDofCorrection,
  smoothnessFromVolume,
  smoothnessPlaneSums,
  standardiseResiduals,
} from '../shared/stats/smoothness.ts';
import { smoothSpm, spmKernel1d } from '../shared/volume/smooth.ts';

const jStat = createRequire(import.meta.url)('jstat') as {
  normal: { cdf(x: number, m: number, s: number): number; inv(p: number, m: number, s: number): number };
};

import { FIXTURES } from './helpers/fixtures.ts';
import { rng } from './helpers/rng.ts';

// fixtures as in test/nifti.test.ts
const FIX = join(FIXTURES, 'vbm_reho') + '/';

function readLutCsv(): Array<[number, number]> {
  const lines = readFileSync(FIX + 'smoothest_dof_lut.csv', 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => l.split(',').map(Number) as [number, number]);
}

/** DPABI's y_Smoothest loop written out directly on a 4-D array (subject-major NIfTI order). */
function bruteSums(resid: Float32Array, mask: Uint8Array, dims: readonly [number, number, number], nSubj: number) {
  const [nx, ny, nz] = dims;
  const nVox = nx * ny * nz;
  const at = (x: number, y: number, z: number) => x + nx * (y + ny * z);
  const ss = [0, 0, 0];
  const s2 = [0, 0, 0];
  let n = 0;
  for (let x = 1; x < nx; x++)
    for (let y = 1; y < ny; y++)
      for (let z = 1; z < nz; z++) {
        const v = at(x, y, z);
        if (!(mask[v] && mask[at(x - 1, y, z)] && mask[at(x, y - 1, z)] && mask[at(x, y, z - 1)])) continue;
        n++;
        for (let s = 0; s < nSubj; s++) {
          const r = resid[s * nVox + v];
          const nb = [at(x - 1, y, z), at(x, y - 1, z), at(x, y, z - 1)].map((w) => resid[s * nVox + w]);
          for (let d = 0; d < 3; d++) {
            ss[d] += r * nb[d];
            s2[d] += 0.5 * (r * r + nb[d] * nb[d]);
          }
        }
      }
  return { ss, s2, n };
}

describe('GRF cluster threshold', () => {
  it('z* for two-tailed voxel p 0.005 is 2.807034 (analytic reference value), one-tailed uses 1 − p', () => {
    const g = grfThreshold({ dLh: 0.1, nVoxels: 3264, voxelP: 0.005, clusterP: 0.05, twoTailed: true });
    expect(Math.abs(g.zThreshold - 2.807034)).toBeLessThan(5e-7);
    expect(g.tailClusterP).toBe(0.025);
    const g1 = grfThreshold({ dLh: 0.1, nVoxels: 3264, voxelP: 0.001, clusterP: 0.05, twoTailed: false });
    expect(Math.abs(g1.zThreshold - 3.0902323061678135)).toBeLessThan(1e-14); // mpmath: Φ⁻¹(0.999)
    expect(g1.tailClusterP).toBe(0.05);
  });

  it('Em, EN and β match a hand computation (Friston et al. 1994), and k matches DPABI’s loop', () => {
    const dLh = 0.05;
    const S = 3264;
    const z = -jStat.normal.inv(0.0025, 0, 1);
    const em = S * (2 * Math.PI) ** -2 * dLh * (z * z - 1) * Math.exp((-z * z) / 2);
    const en = S * (1 - jStat.normal.cdf(z, 0, 1));
    const beta = ((0.75 * Math.sqrt(Math.PI) * em) / en) ** (2 / 3); // Γ(5/2) = 3√π/4
    // DPABI: ClusterSize = 0; while pTemp >= p: ClusterSize++; pTemp = 1 − exp(−Em·exp(−β·k^(2/3)))
    let k = 0;
    let p = 1;
    while (p >= 0.025) {
      k++;
      p = 1 - Math.exp(-em * Math.exp(-beta * Math.pow(k, 2 / 3)));
    }
    const g = grfThreshold({ dLh, nVoxels: S, voxelP: 0.005, clusterP: 0.05, twoTailed: true });
    expect(Math.abs(g.em - em) / em).toBeLessThan(1e-8); // jstat's quantile is good to ~1e-9 here
    expect(Math.abs(g.en - en) / en).toBeLessThan(1e-8);
    expect(Math.abs(g.beta - beta) / beta).toBeLessThan(1e-8);
    expect(g.clusterSizeThreshold).toBe(k);
    console.log(`GRF hand check: Em ${em.toFixed(6)}, EN ${en.toFixed(6)}, beta ${beta.toFixed(6)}, k ${k}`);
  });

  it('the defining inequality holds at k and fails at k − 1', () => {
    for (const dLh of [0.02, 0.05, 0.1, 0.3, 1]) {
      for (const [voxelP, twoTailed] of [
        [0.005, true],
        [0.001, false],
        [0.01, true],
      ] as const) {
        const g = grfThreshold({ dLh, nVoxels: 50000, voxelP, clusterP: 0.05, twoTailed });
        const k = g.clusterSizeThreshold;
        expect(grfClusterP(k, g.em, g.beta)).toBeLessThan(g.tailClusterP);
        if (k > 1) expect(grfClusterP(k - 1, g.em, g.beta)).toBeGreaterThanOrEqual(g.tailClusterP);
      }
    }
  });

  it('k does not increase as dLh grows (rougher field → smaller clusters)', () => {
    // holds while Em/(−ln(1 − p)) > e^1.5, i.e. for any realistic mask and smoothness
    let prev = Infinity;
    const ks: number[] = [];
    for (let dLh = 0.02; dLh <= 2; dLh *= 1.15) {
      const k = grfThreshold({ dLh, nVoxels: 3264, voxelP: 0.005, clusterP: 0.05, twoTailed: true }).clusterSizeThreshold;
      expect(k).toBeLessThanOrEqual(prev);
      prev = k;
      ks.push(k);
    }
    expect(ks[0]).toBeGreaterThan(ks[ks.length - 1]);
  });

  it('rejects impossible inputs', () => {
    expect(() => grfThreshold({ dLh: 0, nVoxels: 10, voxelP: 0.001, clusterP: 0.05, twoTailed: false })).toThrow();
    expect(() => grfThreshold({ dLh: 0.1, nVoxels: 10, voxelP: 0.5, clusterP: 0.05, twoTailed: false })).toThrow(/exceed 1/);
  });
});

describe('DOF correction table', () => {
  const csv = readLutCsv();

  it('the constant equals the fixture CSV', () => {
    expect(SMOOTHEST_DOF_LUT.map((r) => [r[0], r[1]])).toEqual(csv);
  });

  it('closed-form ends: DOF < 6 → 1.1, DOF > 500 → √(1 + 1.0321/DOF)', () => {
    for (const dof of [1, 3, 5, 5.99]) {
      expect(smoothestDofCorrection(dof)).toBe(1.1);
      expect(smoothestDofCorrection(dof, 'fsl')).toBe(Math.fround(1.1));
    }
    for (const dof of [501, 600, 5000]) {
      expect(smoothestDofCorrection(dof)).toBe(Math.sqrt(1 + 1.0321 / dof));
      expect(Math.abs(smoothestDofCorrection(dof, 'fsl') - Math.sqrt(1 + 1.0321 / dof))).toBeLessThan(2e-7);
    }
  });

  it('DPABI reads about two rows further than the table; FSL differs from DOF 21 on', () => {
    const L = new Map(csv);
    // DOF 21, DPABI: f = 21, L(22) interpolated between the rows 21 and 26
    const L21 = L.get(21)!;
    const L22 = L21 + (L.get(26)! - L21) / 5;
    const dpabi21 = Math.sqrt((L22 - L21) * (21 - 21 + 1) + L22);
    // DOF 21, FSL: keys are the CSV rows minus one; first key ≥ 21 is 25 (row 26), the one before 20 (row 21)
    const fsl21 = Math.sqrt(((L.get(26)! - L21) / (25 - 20)) * (21 - 20) + L.get(26)!);
    expect(Math.abs(smoothestDofCorrection(21) - dpabi21)).toBeLessThan(1e-15);
    expect(Math.abs(smoothestDofCorrection(21, 'fsl') - fsl21)).toBeLessThan(2e-7);
    expect(smoothestDofCorrection(21) - smoothestDofCorrection(21, 'fsl')).toBeGreaterThan(5e-3);
    // DOF 100 (between rows 91 and 101): L(100) = L91 + (L101 − L91)·9/10, DPABI reads 2·L(101) − L(100)
    const L100 = L.get(91)! + ((L.get(101)! - L.get(91)!) * 9) / 10;
    expect(Math.abs(smoothestDofCorrection(100) - Math.sqrt(2 * L.get(101)! - L100))).toBeLessThan(1e-15);
    // reading further along a decreasing table gives less than the plain L(DOF)
    expect(smoothestDofCorrection(21) ** 2).toBeLessThan(L21);
  });

  it('the variants coincide where the formulas do (6 ≤ DOF < 21, dense part of the table)', () => {
    for (const dof of [6, 6.5, 7, 10, 12.25, 15, 19.9, 20, 20.75]) {
      expect(Math.abs(smoothestDofCorrection(dof) - smoothestDofCorrection(dof, 'fsl'))).toBeLessThan(2e-7); // FSL works in float32
    }
  });
});

describe('smoothness estimation', () => {
  it('estimateSmoothness follows §C on hand-made sums, with the clamp and the dof = null path', () => {
    const sums = { ss: [0.9 * 1000, 0.8 * 1200, 1.2 * 900] as [number, number, number], s2: [1000, 1200, 900] as [number, number, number], nVoxels: 100 };
    const s = estimateSmoothness(sums, [2, 2, 3], null);
    const sig = [-1 / (4 * Math.log(0.9)), -1 / (4 * Math.log(0.8)), -1 / (4 * Math.log(0.99999999))];
    for (let d = 0; d < 3; d++) expect(Math.abs(s.sigma2[d] - sig[d]) / sig[d]).toBeLessThan(1e-12);
    expect(s.dofCorrection).toBe(1);
    expect(Math.abs(s.dLh - 1 / Math.sqrt(8 * sig[0] * sig[1] * sig[2])) / s.dLh).toBeLessThan(1e-12);
    expect(Math.abs(s.fwhmMm[2] - 3 * Math.sqrt(8 * Math.LN2 * sig[2]))).toBeLessThan(1e-9);
    expect(Math.abs(s.resels - s.fwhmVox[0] * s.fwhmVox[1] * s.fwhmVox[2])).toBe(0);
    const f = estimateSmoothness(sums, [2, 2, 3], null, 'fsl'); // FSL clamps to 0.99999
    expect(Math.abs(f.sigma2[2] - -1 / (4 * Math.log(0.99999))) / f.sigma2[2]).toBeLessThan(1e-9); // ill-conditioned near 1
    const c = estimateSmoothness(sums, [2, 2, 3], 21);
    expect(c.dofCorrection).toBe(smoothestDofCorrection(21));
    expect(Math.abs(c.dLh - s.dLh * c.dofCorrection)).toBeLessThan(1e-15);
    expect(() => estimateSmoothness({ ss: [0, 0, 0], s2: [0, 0, 0], nVoxels: 0 }, [1, 1, 1], null)).toThrow(/mask/);
  });

  it('standardiseResiduals: per voxel mean 0, sd 1 (ddof 1); constant or NaN voxels → 0', () => {
    const nSubj = 6;
    const nVox = 5;
    const r = rng(7).u;
    const data = new Float32Array(nSubj * nVox).map(() => r() * 10 - 3);
    for (let s = 0; s < nSubj; s++) {
      data[s * nVox + 2] = 4.5; // constant voxel
    }
    data[3 * nVox + 4] = NaN;
    const orig = Float32Array.from(data);
    standardiseResiduals(data, nSubj, nVox);
    for (let v = 0; v < nVox; v++) {
      const col = Array.from({ length: nSubj }, (_, s) => data[s * nVox + v]);
      if (v === 2 || v === 4) {
        expect(col.every((x) => x === 0)).toBe(true);
        continue;
      }
      const o = Array.from({ length: nSubj }, (_, s) => orig[s * nVox + v]);
      const m = o.reduce((a, b) => a + b, 0) / nSubj;
      const sd = Math.sqrt(o.reduce((a, b) => a + (b - m) ** 2, 0) / (nSubj - 1));
      for (let s = 0; s < nSubj; s++) expect(Math.abs(col[s] - (o[s] - m) / sd)).toBeLessThan(1e-6);
    }
  });

  it('plane sums: slabs with halos combine to exactly (bitwise) the whole-volume per-plane sums', () => {
    const [nx, ny, nz, nSubj] = [9, 8, 12, 5];
    const planeLen = nx * ny;
    const nVox = planeLen * nz;
    const { u: r, z: g } = rng(11);
    const resid = new Float32Array(nVox * nSubj).map(() => g());
    const mask = new Uint8Array(nVox).map(() => (r() < 0.85 ? 1 : 0));

    const whole = smoothnessPlaneSums(resid, mask, nx, ny, nz, nSubj, false);
    expect(whole.length).toBe(7 * nz);

    const slabs: Array<[number, number]> = [
      [0, 4],
      [4, 9],
      [9, 12],
    ];
    const parts: Float64Array[] = [];
    for (const [z0, z1] of slabs) {
      const lo = z0 === 0 ? 0 : z0 - 1; // one halo plane below, except at z = 0
      const nzLocal = z1 - lo;
      const sub = new Float32Array(planeLen * nzLocal * nSubj);
      for (let s = 0; s < nSubj; s++) {
        sub.set(resid.subarray(s * nVox + lo * planeLen, s * nVox + z1 * planeLen), s * planeLen * nzLocal);
      }
      const m = mask.slice(lo * planeLen, z1 * planeLen);
      parts.push(smoothnessPlaneSums(sub, m, nx, ny, nzLocal, nSubj, z0 !== 0));
    }
    const joined = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      joined.set(p, o);
      o += p.length;
    }
    expect(joined.length).toBe(whole.length);
    for (let i = 0; i < whole.length; i++) expect(Object.is(joined[i], whole[i])).toBe(true);
    const a = combinePlaneSums(parts);
    const b = combinePlaneSums([whole]);
    expect(a).toEqual(b);

    // and the sums are DPABI's (independent direct loop)
    const ref = bruteSums(resid, mask, [nx, ny, nz], nSubj);
    expect(b.nVoxels).toBe(ref.n);
    for (let d = 0; d < 3; d++) {
      expect(Math.abs(b.ss[d] - ref.ss[d])).toBeLessThan(1e-9 * ref.s2[d]);
      expect(Math.abs(b.s2[d] - ref.s2[d])).toBeLessThan(1e-9 * ref.s2[d]);
    }
    // the z = 0 plane never counts
    expect(Array.from(whole.subarray(0, 7))).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('recovers the FWHM of Gaussian-smoothed white noise (anisotropic, within 10% of the filter FWHM)', () => {
    const dims = [48, 48, 40] as const;
    const [nx, ny, nz] = dims;
    const nVox = nx * ny * nz;
    const nSubj = 10;
    const fwhmVox = [3, 4, 5] as const;
    const g = rng(2024).z;
    const resid = new Float32Array(nVox * nSubj);
    for (let s = 0; s < nSubj; s++) {
      const noise = new Float32Array(nVox).map(() => g());
      resid.set(smoothSpm(noise, dims, [1, 1, 1], fwhmVox), s * nVox);
    }
    const before = Float32Array.from(resid);
    // stay clear of the zero-padded / renormalised edges by ~3σ of the widest kernel
    const margin = 6;
    const mask = new Uint8Array(nVox);
    for (let z = margin; z < nz - margin; z++)
      for (let y = margin; y < ny - margin; y++) for (let x = margin; x < nx - margin; x++) mask[x + nx * (y + ny * z)] = 1;

    const est = smoothnessFromVolume(resid, mask, dims, nSubj, [2, 2, 2], nSubj - 1); // standardised, DOF-corrected
    const raw = smoothnessFromVolume(resid, mask, dims, nSubj, [2, 2, 2], null); // as given (z-map path)
    let changed = 0; // the convenience function standardises a copy
    for (let i = 0; i < resid.length; i++) if (!Object.is(resid[i], before[i])) changed++;
    expect(changed).toBe(0);
    for (let d = 0; d < 3; d++) {
      // exact expectation for this kernel on white noise: ρ = Σ k_j k_{j+1} / Σ k_j², FWHM = √(8 ln2 · −1/(4 ln ρ))
      const k = spmKernel1d(fwhmVox[d]);
      let num = 0;
      let den = 0;
      for (let j = 0; j < k.length; j++) {
        den += k[j] * k[j];
        if (j + 1 < k.length) num += k[j] * k[j + 1];
      }
      const expected = Math.sqrt((8 * Math.LN2) / (-4 * Math.log(num / den)));
      console.log(
        `axis ${d}: filter FWHM ${fwhmVox[d]} vox, kernel-exact ${expected.toFixed(3)}, ` +
          `estimated ${raw.fwhmVox[d].toFixed(3)} (as given), ${est.fwhmVox[d].toFixed(3)} (standardised over ${nSubj} subjects)`,
      );
      expect(Math.abs(raw.fwhmVox[d] - expected) / expected).toBeLessThan(0.03);
      // standardising over few subjects biases the lag-1 correlation low by ~(1 − ρ²)/(2n): a few % smaller FWHM
      expect(Math.abs(est.fwhmVox[d] - fwhmVox[d]) / fwhmVox[d]).toBeLessThan(0.1);
      expect(est.fwhmMm[d]).toBe(est.fwhmVox[d] * 2);
    }
    expect(raw.dofCorrection).toBe(1);
    expect(est.dofCorrection).toBe(smoothestDofCorrection(nSubj - 1));
  });

  it('VBM fixture: SPM smoothing 3 mm, GLM [label, 1, TIV] residuals, smoothness and GRF threshold', () => {
    const nSubj = 24;
    const [nx, ny, nz] = [20, 24, 20];
    const nVox = nx * ny * nz;
    const dims = [nx, ny, nz] as const;
    const raw = new Float32Array(new Uint8Array(readFileSync(FIX + 'vbm_gm_all.f32')).buffer);
    const maskC = new Uint8Array(readFileSync(FIX + 'vbm_mask.u8'));
    expect(raw.length).toBe(nSubj * nVox);
    // C order [s][x][y][z] → NIfTI order x + nx·(y + ny·z)
    const mask = new Uint8Array(nVox);
    for (let x = 0; x < nx; x++) for (let y = 0; y < ny; y++) for (let z = 0; z < nz; z++) mask[x + nx * (y + ny * z)] = maskC[(x * ny + y) * nz + z];
    let nMask = 0;
    for (const m of mask) nMask += m ? 1 : 0;
    expect(nMask).toBe(3264);

    const smoothed = new Float32Array(nSubj * nVox);
    const vol = new Float32Array(nVox);
    for (let s = 0; s < nSubj; s++) {
      for (let x = 0; x < nx; x++)
        for (let y = 0; y < ny; y++) for (let z = 0; z < nz; z++) vol[x + nx * (y + ny * z)] = raw[((s * nx + x) * ny + y) * nz + z];
      smoothed.set(smoothSpm(vol, dims, [1.5, 1.5, 1.5], 3), s * nVox);
    }

    // design [label, 1, TIV] (not demeaned, DPABI) and the residual-forming matrix I − X(XᵀX)⁻¹Xᵀ
    const rows = readFileSync(FIX + 'vbm_design.csv', 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const X = rows.map((c) => [Number(c[2]), 1, Number(c[3])]);
    expect(X.length).toBe(nSubj);
    const XtX = [0, 1, 2].map((i) => [0, 1, 2].map((j) => X.reduce((a, r) => a + r[i] * r[j], 0)));
    const inv = invert3(XtX);
    const H = X.map((ri) => X.map((rj) => [0, 1, 2].reduce((a, i) => a + ri[i] * [0, 1, 2].reduce((b, j) => b + inv[i][j] * rj[j], 0), 0)));
    const resid = new Float32Array(nSubj * nVox);
    const y = new Float64Array(nSubj);
    for (let v = 0; v < nVox; v++) {
      if (!mask[v]) continue;
      for (let s = 0; s < nSubj; s++) y[s] = smoothed[s * nVox + v];
      for (let s = 0; s < nSubj; s++) {
        let fit = 0;
        for (let t = 0; t < nSubj; t++) fit += H[s][t] * y[t];
        resid[s * nVox + v] = y[s] - fit;
      }
    }
    const dof = nSubj - 3;
    const est = smoothnessFromVolume(resid, mask, dims, nSubj, [1.5, 1.5, 1.5], dof);
    const estFsl = smoothnessFromVolume(resid, mask, dims, nSubj, [1.5, 1.5, 1.5], dof, 'fsl');
    const grf = grfThreshold({ dLh: est.dLh, nVoxels: nMask, voxelP: 0.005, clusterP: 0.05, twoTailed: true });
    console.log(
      [
        `VBM fixture (DOF ${dof}, mask ${nMask} voxels):`,
        `  FWHM mm ${est.fwhmMm.map((f) => f.toFixed(4)).join(' ')}  (voxels ${est.fwhmVox.map((f) => f.toFixed(4)).join(' ')})`,
        `  dLh ${est.dLh.toFixed(6)} (DOF factor ${est.dofCorrection.toFixed(7)}; fsl variant dLh ${estFsl.dLh.toFixed(6)})`,
        `  resels ${est.resels.toFixed(4)} voxels`,
        `  GRF two-tailed voxel p 0.005, cluster p 0.05: z* ${grf.zThreshold.toFixed(6)}, k ${grf.clusterSizeThreshold} voxels`,
        `  (Em ${grf.em.toFixed(6)}, EN ${grf.en.toFixed(4)}, beta ${grf.beta.toFixed(6)})`,
      ].join('\n'),
    );
    for (const f of est.fwhmMm) {
      expect(Number.isFinite(f)).toBe(true);
      expect(f).toBeGreaterThan(3);
      expect(f).toBeLessThan(8);
    }
    expect(Number.isFinite(est.dLh) && est.dLh > 0).toBe(true);
    expect(Number.isFinite(est.resels) && est.resels > 0).toBe(true);
    expect(Math.abs(grf.zThreshold - 2.807034)).toBeLessThan(5e-7);
    expect(grf.clusterSizeThreshold).toBeGreaterThan(1);
    expect(grf.clusterSizeThreshold).toBeLessThan(nMask);
  });
});

function invert3(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}
