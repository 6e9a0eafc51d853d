/**
 * netmap params.roiConnectivity through the embedded runner: per-subject ROI-to-ROI Fisher z
 * from the same connectome pass as the seed maps, checked against a direct per-subject
 * computation on the demo connectome's runs (plain sphere loops, mean time courses, two-pass
 * Pearson), the same for any shard size, and the repeated-measures ANOVA against the
 * textbook sums of squares of the job's own group table.
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
import { writeNifti } from '../shared/nifti/index.ts';
import { runLocal } from '../runner/local.ts';

const demo = demoConnectome(5, 10, 40);
const gm = demo.manifest.grid;
const [nx, ny, nz] = gm.dims;
const N = nx * ny * nz;
const mm = (v: number): [number, number, number] => [69 - 6 * (v % nx), 6 * (Math.floor(v / nx) % ny) - 105, 6 * Math.floor(v / (nx * ny)) - 60];
const SOURCE: [number, number, number] = [-9, -21, 6];
const TARGETS = [
  ['cerebR', 'A', 33, -63, -30],
  ['cerebL', 'A', -33, -63, -30],
  ['occL', 'B', -27, -87, 6],
  ['occR', 'B', 27, -87, 6],
  ['front', 'C', -3, 39, 24],
] as const;

function pearson(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) (sab += (a[i]! - ma) * (b[i]! - mb)), (saa += (a[i]! - ma) ** 2), (sbb += (b[i]! - mb) ** 2);
  return sab / Math.sqrt(saa * sbb);
}

describe('netmap ROI-to-ROI connectivity per connectome subject, from the same pass', () => {
  let base = '';
  const run = async (subjectsPerShard: number, targets: string, jobId = 'roic') => {
    const dir = tmpDir('nb-netmap-roic-');
    mkdirSync(join(dir, 'in'), { recursive: true });
    writeFileSync(join(dir, 'in', 'seeds.csv'), 'study,x,y,z\nthal,-9,-21,6\ncereb,33,-63,-30\n');
    writeFileSync(join(dir, 'in', 'targets.csv'), targets);
    const job = { jobId, pipeline: 'netmap', inputs: { connectome: join(base, 'connectome.json'), seeds: 'seeds.csv' }, params: { threshold: 4, sphereDiameterMm: 12, subjectsPerShard, validation: { peaks: 0 }, roiConnectivity: { source: { x: SOURCE[0], y: SOURCE[1], z: SOURCE[2], diameterMm: 12 }, targets: 'targets.csv', diameterMm: 12 } } };
    writeFileSync(join(dir, 'in', 'job.json'), JSON.stringify(job));
    const outcome = await runLocal({ jobUri: pathToFileURL(join(dir, 'in', 'job.json')).href, pipeline: 'netmap', outDir: join(dir, 'out'), threads: 2 });
    const out = join(dir, 'out', jobId);
    return { outcome, out, result: outcome.status === 'succeeded' ? JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) : undefined };
  };
  const targetsCsv = ['name,group,x,y,z', ...TARGETS.map((t) => t.join(','))].join('\n') + '\n';
  const csv = (out: string, f: string) => readFileSync(join(out, 'tables', f), 'utf8').trim().split('\n').map((l) => l.split(','));
  let a: Awaited<ReturnType<typeof run>>;
  let b: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    base = tmpDir('nb-connectome-');
    const maskNifti = writeNifti({ dims: gm.dims, affine: Float64Array.from(gm.affine), pixdim: gm.pixdim, data: Float32Array.from(demo.mask) }, { datatype: 'uint8' });
    await writeConnectome(new LocalStore(base), '', demo.manifest, maskNifti, (s) => demo.runs[s]!);
    a = await run(3, targetsCsv);
    b = await run(10, targetsCsv);
    if (a.outcome.status !== 'succeeded' || b.outcome.status !== 'succeeded') throw new Error(JSON.stringify([a.outcome, b.outcome]));
  }, 180_000);

  it('MUST-SHOW: per-subject Fisher z equals a direct per-subject computation', () => {
    const compact = new Int32Array(N).fill(-1);
    let V = 0;
    for (let v = 0; v < N; v++) if (demo.mask[v]) compact[v] = V++;
    const sphere = (c: readonly number[]) => {
      const idx: number[] = [];
      for (let v = 0; v < N; v++) {
        if (!demo.mask[v]) continue;
        const p = mm(v);
        if ((p[0] - c[0]!) ** 2 + (p[1] - c[1]!) ** 2 + (p[2] - c[2]!) ** 2 <= 36) idx.push(compact[v]!);
      }
      return idx;
    };
    const src = sphere(SOURCE);
    const tg = TARGETS.map((t) => sphere(t.slice(2) as unknown as number[]));
    const rows = csv(a.out, 'roi_connectivity_subjects.csv');
    expect(rows[0]).toEqual(['subject', ...TARGETS.map((t) => t[0])]);
    expect(rows).toHaveLength(11);
    demo.runs.forEach((runs, s) => {
      expect(rows[s + 1]![0]).toBe(demo.manifest.subjects[s]!.id);
      TARGETS.forEach((_, k) => {
        const rs = runs.map((run) => {
          const T = run.length / V;
          const tc = (idx: number[]) => Array.from({ length: T }, (_, t) => idx.reduce((acc, q) => acc + run[t * V + q]!, 0) / idx.length);
          return pearson(tc(src), tc(tg[k]!));
        });
        const z = Math.atanh(rs.reduce((x, y) => x + y, 0) / rs.length);
        expect(Number(rows[s + 1]![k + 1]), `subject ${s} target ${k}`).toBeCloseTo(z, 6);
      });
    });
    // the planted network: thalamus–cerebellum positive, thalamus–frontal negative
    expect(a.result.roiConnectivity.groupMeans[0]).toBeGreaterThan(0.2);
    expect(a.result.roiConnectivity.groupMeans[2]).toBeLessThan(0);
  });

  it('is the same for 3 or 10 subjects per shard', () => {
    expect(a.result.shards.chunks).toBe(4);
    expect(b.result.shards.chunks).toBe(1);
    for (const f of ['roi_connectivity_subjects.csv', 'roi_connectivity_groups.csv', 'roi_connectivity_posthoc.csv']) expect(csv(a.out, f), f).toEqual(csv(b.out, f));
    expect(a.result.roiConnectivity).toEqual(b.result.roiConnectivity);
  });

  it('repeated-measures ANOVA across target groups equals the textbook sums of squares of the group table', () => {
    const rows = csv(a.out, 'roi_connectivity_groups.csv');
    expect(rows[0]).toEqual(['subject', 'A', 'B', 'C']);
    const y = rows.slice(1).map((r) => r.slice(1).map(Number));
    const n = y.length;
    const k = 3;
    const grand = y.flat().reduce((s, x) => s + x, 0) / (n * k);
    const colMean = [0, 1, 2].map((j) => y.reduce((s, r) => s + r[j]!, 0) / n);
    const rowMean = y.map((r) => r.reduce((s, x) => s + x, 0) / k);
    const ssCond = n * colMean.reduce((s, m) => s + (m - grand) ** 2, 0);
    const ssSubj = k * rowMean.reduce((s, m) => s + (m - grand) ** 2, 0);
    const ssTot = y.flat().reduce((s, x) => s + (x - grand) ** 2, 0);
    const F = ssCond / (k - 1) / ((ssTot - ssCond - ssSubj) / ((n - 1) * (k - 1)));
    const r = a.result.roiConnectivity;
    expect(r.design).toBe('repeated-measures');
    expect(r.anova.dfConditions).toBe(2);
    expect(r.anova.dfError).toBe(18);
    expect(r.anova.F).toBeCloseTo(F, 3);
    expect(r.posthoc).toHaveLength(3);
    // paired post-hoc A vs C: t of the per-subject differences
    const d = y.map((row) => row[0]! - row[2]!);
    const md = d.reduce((s, x) => s + x, 0) / n;
    const sd = Math.sqrt(d.reduce((s, x) => s + (x - md) ** 2, 0) / (n - 1));
    const ac = r.posthoc.find((p: any) => p.a === 'A' && p.b === 'C');
    expect(ac.t).toBeCloseTo(md / (sd / Math.sqrt(n)), 3);
    expect(a.result.methods).toMatch(/repeated-measures ANOVA/);
  });

  it('refuses targets of a single group, naming the table', async () => {
    const bad = await run(10, 'name,group,x,y,z\nc1,A,33,-63,-30\nc2,A,-33,-63,-30\n', 'roicbad');
    expectFailedJob(bad.outcome, bad.out, 'InvalidParameter', { message: /targets form 1 group/ });
  }, 60_000);
});
