/**
 * netmap DBS through the embedded runner: VATs from stimulation settings (the Mädler &
 * Coenen 2012 sphere radius, checked against the published quadratic solved here), outcome
 * summaries, correlation of the DBS network with an external network map, their convergent
 * map and its peak in an atlas region against sweet spots — each against a plain computation.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from './helpers/tmp.ts';
import { expectFailedJob } from './helpers/errors.ts';
import { writeConnectome } from '../shared/netmap/connectome.ts';
import { demoConnectome } from '../shared/demo/connectome.ts';
import { LocalStore } from '../shared/storage/index.ts';
import { readNifti, writeNifti } from '../shared/nifti/index.ts';
import { runLocal } from '../runner/local.ts';

const demo = demoConnectome(3, 12, 40);
const gm = demo.manifest.grid;
const [nx, ny] = gm.dims;
const N = gm.dims[0] * gm.dims[1] * gm.dims[2];
const mm = (v: number): [number, number, number] => [69 - 6 * (v % nx), 6 * (Math.floor(v / nx) % ny) - 105, 6 * Math.floor(v / (nx * ny)) - 60];
const nifti = (data: Float32Array, datatype: 'uint8' | 'int16' | 'float32' = 'float32') => writeNifti({ dims: gm.dims, affine: Float64Array.from(gm.affine), pixdim: gm.pixdim, data }, { datatype });

// patient, x, y, z, amplitude, mode, outcome (% seizure reduction)
const PATIENTS = [
  ['p1', -9, -21, 6, 3.5, 'voltage', 80],
  ['p2', -12, -18, 3, 8, 'current', 65],
  ['p3', -9, -15, 6, 2, 'voltage', 40],
  ['p4', -27, -87, 6, 5, 'voltage', 10],
  ['p5', 27, -87, 6, 3, 'current', 0],
] as const;

/** The published sphere model: k3·r² + (k1 + k4·Im)·r − U = 0, positive root (Mädler & Coenen 2012). */
function radius(U: number, Im = 1000): number {
  const [k1, k3, k4] = [-1.0473, 0.2786, 0.0009856];
  const b = k1 + k4 * Im;
  return (-b + Math.sqrt(b * b + 4 * k3 * U)) / (2 * k3);
}

describe('netmap DBS: VATs from stimulation settings, outcomes, external network, sweet spots', () => {
  let out = '';
  let result: any;
  let base = '';
  const external = new Float32Array(N);
  const atlas = new Float32Array(N);
  const write = async (dir: string, seeds: string, params: object) => {
    mkdirSync(join(dir, 'in'), { recursive: true });
    writeFileSync(join(dir, 'in', 'seeds.csv'), seeds);
    writeFileSync(join(dir, 'in', 'external.nii.gz'), nifti(external));
    writeFileSync(join(dir, 'in', 'atlas.nii.gz'), nifti(atlas, 'int16'));
    writeFileSync(join(dir, 'in', 'job.json'), JSON.stringify({ jobId: 'dbs', pipeline: 'netmap', inputs: { connectome: join(base, 'connectome.json'), seeds: 'seeds.csv', atlas: 'atlas.nii.gz' }, params: { threshold: 4, validation: { peaks: 0 }, ...params } }));
    return runLocal({ jobUri: pathToFileURL(join(dir, 'in', 'job.json')).href, pipeline: 'netmap', outDir: join(dir, 'out'), threads: 2 });
  };
  const seedsCsv = ['study,x,y,z,amplitude,mode,pulseWidth,outcome', ...PATIENTS.map((p) => [...p.slice(0, 6), 60, p[6]].join(','))].join('\n') + '\n';

  beforeAll(async () => {
    base = tmpDir('nb-connectome-');
    await writeConnectome(new LocalStore(base), '', demo.manifest, nifti(Float32Array.from(demo.mask), 'uint8'), (s) => demo.runs[s]!);
    for (let v = 0; v < N; v++) {
      if (!demo.mask[v]) continue;
      const p = mm(v);
      for (const r of demo.regions.filter((x) => x.network === 'A')) external[v] += r.sign * Math.exp(-((p[0] - r.centreMni[0]) ** 2 + (p[1] - r.centreMni[1]) ** 2 + (p[2] - r.centreMni[2]) ** 2) / 200);
      // region label 1: a box around the left thalamus
      if (p[0] <= 0 && p[0] >= -30 && p[1] >= -40 && p[1] <= 0 && p[2] >= -12 && p[2] <= 24) atlas[v] = 1;
    }
    const dir = tmpDir('nb-netmap-dbs-');
    const outcome = await write(dir, seedsCsv, { dbs: { external: 'external.nii.gz', peakLabels: [1], sweetSpots: [{ label: 'CM', x: -9, y: -21, z: 0 }, { label: 'ANT', x: -6, y: -9, z: 12 }] } });
    if (outcome.status !== 'succeeded') throw new Error(JSON.stringify(outcome));
    out = join(dir, 'out', 'dbs');
    result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  }, 180_000);

  it('MUST-SHOW: each VAT is a sphere of the published model radius (current via Ohm\'s law at 1000 Ω)', () => {
    const rows = readFileSync(join(out, 'tables/dbs_vat.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    expect(rows).toHaveLength(5);
    for (const [name, x, y, z, amp, mode] of PATIENTS) {
      const U = mode === 'voltage' ? amp : (amp / 1000) * 1000;
      const r = radius(U);
      const row = rows.find((q) => q[0] === name)!;
      expect(Number(row[3]), name).toBeCloseTo(r, 4);
      let n = 0;
      for (let v = 0; v < N; v++) {
        if (!demo.mask[v]) continue;
        const p = mm(v);
        if ((p[0] - x) ** 2 + (p[1] - y) ** 2 + (p[2] - z) ** 2 <= r * r) n++;
      }
      expect(Number(row[2]), name).toBe(n);
      expect(result.studies.find((s: any) => s.study === name).seedVoxels).toBe(n);
    }
    // 8 mA at 1000 Ω = 8 V: r ≈ 5.47 mm around a point between voxel centres holds the 8 corners at 5.2 mm
    expect(Number(rows.find((q) => q[0] === 'p2')![2])).toBe(8);
  });

  it('summarises the outcomes: median, IQR, mean ± SE, responders > 50 %', () => {
    const o = PATIENTS.map((p) => p[6] as number).sort((a, b) => a - b);
    const mean = o.reduce((a, b) => a + b, 0) / o.length;
    const sd = Math.sqrt(o.reduce((a, b) => a + (b - mean) ** 2, 0) / (o.length - 1));
    const s = result.dbs.outcomeSummary;
    expect(s.n).toBe(5);
    expect(s.median).toBe(40);
    expect(s.mean).toBeCloseTo(mean, 6);
    expect(s.se).toBeCloseTo(sd / Math.sqrt(5), 5);
    expect(s.responders).toBe(2);
    expect(s.q1).toBeLessThanOrEqual(s.median);
    expect(s.iqr).toBeCloseTo(s.q3 - s.q1, 6);
  });

  it('correlates the DBS network with the external network and finds the convergent peak in the region with its sweet-spot distances', () => {
    const net = readNifti(readFileSync(join(out, 'maps/dbs_network.nii.gz')), 'dbs').data;
    const conv = readNifti(readFileSync(join(out, 'maps/convergent_external.nii.gz')), 'conv').data;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let v = 0; v < N; v++) if (demo.mask[v]) (xs.push(net[v]!), ys.push(external[v]!));
    const m = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    const [mx, my] = [m(xs), m(ys)];
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    xs.forEach((x, i) => ((sxy += (x - mx) * (ys[i]! - my)), (sxx += (x - mx) ** 2), (syy += (ys[i]! - my) ** 2)));
    const e = result.dbs.external;
    expect(e.pearson).toBeCloseTo(sxy / Math.sqrt(sxx * syy), 4);
    expect(e.pearson).toBeGreaterThan(0.2);
    expect(e.voxels).toBe(xs.length);
    // the convergent map's maximum within label 1
    let best = -Infinity;
    let at = -1;
    for (let v = 0; v < N; v++) if (atlas[v] === 1 && demo.mask[v] && conv[v]! > best) (best = conv[v]!), (at = v);
    expect(e.regionPeak.value).toBeCloseTo(best, 4);
    expect(e.regionPeak.mni).toEqual(mm(at));
    const cm = e.regionPeak.sweetSpots.find((s: any) => s.label === 'CM');
    expect(cm.distanceMm).toBeCloseTo(Math.hypot(mm(at)[0] + 9, mm(at)[1] + 21, mm(at)[2]), 3);
    expect(result.outputs).toContain('maps/convergent_external.nii.gz');
  });

  it('refuses a stimulation setting out of range, naming the row', async () => {
    const dir = tmpDir('nb-netmap-dbs-bad-');
    const outcome = await write(dir, 'study,x,y,z,amplitude,mode,outcome\np1,-9,-21,6,45,voltage,50\np2,-15,-15,0,2,voltage,20\n', { dbs: {} });
    expectFailedJob(outcome, join(dir, 'out', 'dbs'), 'InvalidParticipants', { message: /row 1 \(p1\).*above 30 V/ });
  }, 60_000);
});
