import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runLocal } from '../runner/local.ts';
import { readNifti, writeNifti } from '../shared/nifti/index.ts';
import { stream } from '../shared/random.ts';
import { maskStats, rehoVolume } from '../shared/reho/kcc.ts';
import { IdealBandpass } from '../shared/reho/filter.ts';
import { friston24, powerFd, spikeVolumes } from '../shared/reho/motion.ts';
import { nuisanceDesign, nuisanceModel, regressOut } from '../shared/reho/nuisance.ts';
import { SeriesCleaner } from '../shared/reho/clean.ts';
import { VBM } from './helpers/fixture-job.ts';
import { expectFailedJob } from './helpers/errors.ts';
import { tmpDir } from './helpers/tmp.ts';
import { openEnvelope } from '../shared/storage/index.ts';

const tmp = () => tmpDir('nb-reho-');

/** The reho work folder of a job under <out>/.work/<jobId>/ (the one holding plan.json; the group step's glm work folder sits beside it). */
function workOf(resultDir: string): string {
  const base = join(resultDir, '..', '.work', basename(resultDir));
  const specs = readdirSync(base).filter((d) => existsSync(join(base, d, 'plan.json')));
  if (specs.length !== 1) throw new Error(`expected one reho spec folder in ${base}, found ${specs.length}`);
  return join(base, specs[0]!);
}

async function run(jobPath: string, out: string) {
  return runLocal({ jobUri: pathToFileURL(jobPath).href, pipeline: 'reho', outDir: out, threads: 2 });
}

function writeJob(dir: string, job: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, 'job.json');
  writeFileSync(p, JSON.stringify(job, null, 2));
  return p;
}

const bytesOf = (f: string) => Buffer.from(readNifti(readFileSync(f), f).data.buffer);

/** The fixture 4-D file twice: gzipped and as an uncompressed .nii (ranged reads). */
function fixtureJob(dir: string, params: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  mkdirSync(dir, { recursive: true });
  const vol = readNifti(readFileSync(join(VBM, 'reho_func4d.nii.gz')), 'f');
  writeFileSync(join(dir, 'func.nii'), writeNifti({ dims: vol.header.dims, affine: vol.header.affine, data: vol.data, tr: 2 }, { datatype: 'float32', gzip: false }));
  writeFileSync(join(dir, 'participants.tsv'), `participant_id\tfunc\nfix\t${join(VBM, 'reho_func4d.nii.gz')}\nfixraw\tfunc.nii\n`);
  return writeJob(dir, { jobId: 'reho-fixture', pipeline: 'reho', inputs: { participants: 'participants.tsv', mask: join(VBM, 'reho_mask.nii.gz') }, params: { preprocess: false, ...params }, ...extra });
}

describe('reho pipeline on the fixture 4-D file (data as given)', () => {
  const runs: Record<number, { out: string; result: any }> = {};
  beforeAll(async () => {
    for (const slabs of [1, 4, 10]) {
      const dir = tmp();
      const outcome = await run(fixtureJob(join(dir, 'in'), { slabs }), join(dir, 'out'));
      if (outcome.status !== 'succeeded') throw new Error(`${slabs} slabs: ${outcome.status === 'failed' ? outcome.error + ': ' + outcome.message : ''}`);
      const out = join(dir, 'out', 'reho-fixture');
      runs[slabs] = { out, result: JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) };
    }
  }, 120_000);

  it('reproduces the development numbers and writes every declared output', () => {
    const { out, result } = runs[4]!;
    for (const f of ['maps/sub-fix_reho.nii.gz', 'maps/sub-fix_zreho.nii.gz', 'maps/sub-fix_szreho.nii.gz', 'maps/sub-fix_mreho.nii.gz', 'tables/qc_motion.csv', 'report.html', 'job.json', 'result.json']) {
      expect(existsSync(join(out, f)), f).toBe(true);
      expect(result.outputs).toContain(f);
    }
    const s = result.subjects[0];
    expect(s.reho.maskVoxels).toBe(696);
    expect(s.reho.nonZero).toBe(632);
    expect(s.reho.mean).toBeCloseTo(0.35801, 5);
    expect(s.reho.sd).toBeCloseTo(0.170374, 5);
    expect(s.reho.max).toBeCloseTo(0.70678, 5);
    const job = JSON.parse(readFileSync(join(out, 'job.json'), 'utf8'));
    expect(job.params.zOrder).toBe('zThenSmooth');
    expect(result.settings.zOrder).toBe('zThenSmooth');
    expect(result.cost.actualUsd).toBeGreaterThan(0);
    // equals the whole-volume kernel
    const func = readNifti(readFileSync(join(VBM, 'reho_func4d.nii.gz')), 'f');
    const mask = readNifti(readFileSync(join(VBM, 'reho_mask.nii.gz')), 'm').data;
    const ref = rehoVolume(func.data, func.header.dims as [number, number, number, number], mask, 27);
    expect(bytesOf(join(out, 'maps/sub-fix_reho.nii.gz')).equals(Buffer.from(ref.buffer))).toBe(true);
    expect(maskStats(ref, mask).mean).toBeCloseTo(0.35801, 5);
  });

  it('ranged reads of the uncompressed .nii give the same maps as the .nii.gz', () => {
    for (const m of ['reho', 'zreho', 'szreho']) {
      expect(bytesOf(join(runs[4]!.out, `maps/sub-fixraw_${m}.nii.gz`)).equals(bytesOf(join(runs[4]!.out, `maps/sub-fix_${m}.nii.gz`))), m).toBe(true);
    }
  });

  it('gives bit-identical maps for 1, 4 and 10 slabs', () => {
    expect(runs[1]!.result.shards.slabs).toBe(1);
    expect(runs[4]!.result.shards.slabs).toBe(4);
    expect(runs[10]!.result.shards.slabs).toBe(10);
    for (const slabs of [4, 10]) {
      for (const m of ['reho', 'mreho', 'zreho', 'szreho']) {
        for (const id of ['fix', 'fixraw']) {
          const a = bytesOf(join(runs[1]!.out, `maps/sub-${id}_${m}.nii.gz`));
          const b = bytesOf(join(runs[slabs]!.out, `maps/sub-${id}_${m}.nii.gz`));
          expect(b.equals(a), `${id} ${m} ${slabs} slabs`).toBe(true);
        }
      }
      expect(runs[slabs]!.result.subjects).toEqual(runs[1]!.result.subjects);
    }
  });
});

// ---------------------------------------------------------------- synthetic cohort with preprocessing and a group step
const DIMS: [number, number, number] = [12, 12, 10];
const NT = 60;
const TR = 2;
const AFFINE = Float64Array.from([-3, 0, 0, 16.5, 0, 3, 0, -16.5, 0, 0, 3, -13.5, 0, 0, 0, 1]);

function ellipsoidMask(): Uint8Array {
  const [nx, ny, nz] = DIMS;
  const m = new Uint8Array(nx * ny * nz);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const d = ((x - 5.5) / 5.2) ** 2 + ((y - 5.5) / 5.2) ** 2 + ((z - 4.5) / 4.4) ** 2;
        m[x + nx * (y + ny * z)] = d <= 1 ? 1 : 0;
      }
  return m;
}

interface Synth {
  data: Float32Array;
  rp: number[][];
  wm: number[];
  csf: number[];
}

/** A subject: shared slow signal in a blob (stronger in group A), motion-related drift, WM/CSF, noise. */
function synthSubject(k: number, groupA: boolean, bigMotion: boolean): Synth {
  const [nx, ny, nz] = DIMS;
  const nVox = nx * ny * nz;
  const rng = stream(4242, k);
  const rp: number[][] = [];
  const cur = [0, 0, 0, 0, 0, 0];
  for (let t = 0; t < NT; t++) {
    for (let c = 0; c < 6; c++) cur[c]! += (c < 3 ? 0.02 : 0.0003) * rng.normal();
    if (bigMotion && t === 30) cur[0]! += 4;
    rp.push([...cur]);
  }
  const wm = Array.from({ length: NT }, (_, t) => 500 + 3 * Math.sin(t / 7) + rng.normal());
  const csf = Array.from({ length: NT }, (_, t) => 800 + 5 * Math.cos(t / 3) + rng.normal());
  const shared = Array.from({ length: NT }, (_, t) => Math.sin((2 * Math.PI * 0.03 * TR * t) + k) + 0.5 * rng.normal());
  const data = new Float32Array(nVox * NT);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const v = x + nx * (y + ny * z);
        const blob = Math.exp(-(((x - 4) ** 2 + (y - 5) ** 2 + (z - 4) ** 2) / 2));
        const w = (groupA ? 2 : 0) * blob + 0.2 + 0.15 * x;
        for (let t = 0; t < NT; t++) data[v + t * nVox] = 1000 + 10 * w * shared[t]! + 3 * rng.normal() + 0.2 * (wm[t]! - 500) + 20 * rp[t]![0]!;
      }
  return { data, rp, wm, csf };
}

/** Tissue masks on the func grid: job-level probability maps (some values just above, some below 0.99) and per-subject binary masks. */
function tissueMask(kind: 'wm' | 'csf', level: 'job' | 'subject'): Float32Array {
  const [nx, ny, nz] = DIMS;
  const inside = ellipsoidMask();
  const m = new Float32Array(inside.length);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const v = x + nx * (y + ny * z);
        if (!inside[v]) continue;
        if (level === 'subject') m[v] = (kind === 'wm' ? x <= 2 : x >= 9) ? 1 : 0;
        else if (kind === 'wm') m[v] = x <= 3 ? ((y + z) % 2 === 0 ? 1 : 0.995) : x === 4 ? 0.98 : 0;
        else m[v] = x >= 8 ? 0.999 : x === 7 ? 0.6 : 0.01;
      }
  return m;
}

/** Mean of the kept volumes (t ≥ drop) over voxels with mask > thr, written plainly. */
function plainMaskMean(data: Float32Array, mask: Float32Array, thr: number, drop: number): { mean: Float64Array; n: number } {
  const nVox = mask.length;
  const vox: number[] = [];
  for (let v = 0; v < nVox; v++) if (mask[v]! > thr) vox.push(v);
  const mean = new Float64Array(NT - drop);
  for (let t = drop; t < NT; t++) mean[t - drop] = vox.reduce((a, v) => a + data[v + t * nVox]!, 0) / vox.length;
  return { mean, n: vox.length };
}

/**
 * drop 5 → [1, t, Friston-24, spikes, WM, CSF] regression → band-pass → Kendall W, computed directly
 * on the whole volume: `fast` with the pipeline's cleaner (SeriesCleaner, row-paired) through
 * rehoVolume — the pipeline's maps must equal it bit for bit for any slab count — and `twin` with
 * the plain cleaning (regressOut, then IdealBandpass.apply per series).
 */
function directReho(s: Synth, wm: Float64Array, csf: Float64Array): { fast: Float32Array; twin: Float32Array } {
  const mask = ellipsoidMask();
  const T = NT - 5;
  const nVox = mask.length;
  const rp = Float64Array.from(s.rp.slice(5).flat());
  const fd = powerFd(rp, T);
  const model = nuisanceModel(nuisanceDesign(T, { trend: true, friston24: friston24(rp, T), spikes: spikeVolumes(fd, 0.2), wm, csf }));
  const f = new IdealBandpass(T, TR, [0.01, 0.08]);
  const clean = new Float64Array(nVox * T);
  const y = new Float64Array(T);
  const beta = new Float64Array(model.p);
  for (let v = 0; v < nVox; v++) {
    if (!mask[v]) continue;
    for (let t = 0; t < T; t++) y[t] = s.data[v + (t + 5) * nVox]!;
    regressOut(model, y, y, beta);
    f.apply(y, y);
    for (let t = 0; t < T; t++) clean[v + t * nVox] = y[t]!;
  }
  const twin = rehoVolume(clean, [...DIMS, T], mask, 27);
  const fast = rehoVolume(s.data.subarray(5 * nVox), [...DIMS, T], mask, 27, new SeriesCleaner(T, model, f));
  return { fast, twin };
}

/**
 * TOLERANCE (map from the fast cleaner vs the plain cleaning twin): the cleaned series agree within
 * 1e-9 of their scale (reho-kernels tests), so a rank can differ only where two values of a series
 * lie closer than that — rare, and then by one adjacent swap, which moves W by at most
 * 12·(2k(n − 1) + 2)/(k²(n³ − n)) ≤ 0.008 (k ≥ 1 members, n = 55). So: every voxel within 0.008,
 * and at least 99 % of the voxels bit-identical (in practice all of them).
 */
function expectNearTwin(map: Buffer, twin: Float32Array, label: string): void {
  const a = new Float32Array(map.buffer, map.byteOffset, map.byteLength / 4);
  expect(a.length, label).toBe(twin.length);
  let same = 0;
  for (let v = 0; v < a.length; v++) {
    expect(Math.abs(a[v]! - twin[v]!), `${label} voxel ${v}`).toBeLessThanOrEqual(0.008);
    if (a[v] === twin[v]) same++;
  }
  expect(same / a.length, label).toBeGreaterThanOrEqual(0.99);
}

/**
 * Nine subjects (s09 moves > 3 mm). Default: confounds as an SPM rp + WM/CSF file (every third
 * subject) or an fMRIPrep TSV with white_matter/csf. With `masks`: every confounds file is a
 * 6-column motion file only; s01, s04, s07 give their own binary WM/CSF masks, the others use
 * the job-level probability masks.
 */
function cohortJob(dir: string, opts: { params?: Record<string, unknown>; edit?: (rows: string[][]) => void; budget?: object; header?: string; masks?: boolean } = {}): string {
  mkdirSync(dir, { recursive: true });
  const mask = ellipsoidMask();
  writeFileSync(join(dir, 'mask.nii.gz'), writeNifti({ dims: DIMS, affine: AFFINE, data: Float32Array.from(mask) }, { datatype: 'uint8' }));
  if (opts.masks) {
    for (const kind of ['wm', 'csf'] as const) writeFileSync(join(dir, `${kind}_prob.nii.gz`), writeNifti({ dims: DIMS, affine: AFFINE, data: tissueMask(kind, 'job') }, { datatype: 'float32' }));
  }
  const rows: string[][] = [];
  for (let k = 0; k < 9; k++) {
    const id = `s${String(k + 1).padStart(2, '0')}`;
    const groupA = k % 2 === 0;
    const s = synthSubject(k, groupA, k === 8);
    writeFileSync(join(dir, `${id}_bold.nii.gz`), writeNifti({ dims: [...DIMS, NT], affine: AFFINE, data: s.data, tr: TR }, { datatype: 'float32' }));
    let conf: string;
    let wmCsf = '';
    if (opts.masks) {
      conf = `${id}_rp.txt`;
      writeFileSync(join(dir, conf), s.rp.map((r) => r.map((x) => x.toExponential(8)).join('  ')).join('\n') + '\n');
      const own = k % 3 === 0;
      for (const kind of ['wm', 'csf'] as const) {
        if (own) writeFileSync(join(dir, `${id}_${kind}.nii.gz`), writeNifti({ dims: DIMS, affine: AFFINE, data: tissueMask(kind, 'subject') }, { datatype: 'uint8' }));
      }
      rows.push([id, groupA ? 'A' : 'B', String(30 + k), `${id}_bold.nii.gz`, conf, '', own ? `${id}_wm.nii.gz` : '', own ? `${id}_csf.nii.gz` : '']);
      continue;
    }
    if (k % 3 === 0) {
      // SPM rp + separate WM/CSF file
      conf = `${id}_rp.txt`;
      writeFileSync(join(dir, conf), s.rp.map((r) => r.map((x) => x.toExponential(8)).join('  ')).join('\n') + '\n');
      wmCsf = `${id}_wmcsf.txt`;
      writeFileSync(join(dir, wmCsf), s.wm.map((w, t) => `${w} ${s.csf[t]}`).join('\n') + '\n');
    } else {
      conf = `${id}_confounds.tsv`;
      const lines = ['global_signal\tcsf\twhite_matter\ttrans_x\ttrans_y\ttrans_z\trot_x\trot_y\trot_z\tframewise_displacement'];
      s.rp.forEach((r, t) => lines.push([1000, s.csf[t], s.wm[t], ...r, t === 0 ? 'n/a' : 0].join('\t')));
      writeFileSync(join(dir, conf), lines.join('\n') + '\n');
    }
    rows.push([id, groupA ? 'A' : 'B', String(30 + k), `${id}_bold.nii.gz`, conf, wmCsf]);
  }
  opts.edit?.(rows);
  const header = opts.header ?? `participant_id\tgroup\tage\tfunc\tconfounds\twm_csf${opts.masks ? '\twm_mask\tcsf_mask' : ''}`;
  writeFileSync(join(dir, 'participants.tsv'), [header, ...rows.map((r) => r.join('\t'))].join('\n') + '\n');
  return writeJob(dir, {
    jobId: 'reho-cohort',
    pipeline: 'reho',
    inputs: { participants: 'participants.tsv', mask: 'mask.nii.gz', ...(opts.masks ? { wmMask: 'wm_prob.nii.gz', csfMask: 'csf_prob.nii.gz' } : {}) },
    params: { smoothFwhmMm: 4, group: { contrasts: ['A-B'], covariates: ['age'], inference: { grf: { voxelP: 0.01, clusterP: 0.05 }, permutation: { n: 100, statistics: ['maxT', 'tfce'] } } }, ...opts.params },
    ...(opts.budget ? { budget: opts.budget } : {}),
  });
}

describe('reho pipeline on a synthetic cohort: preprocessing, exclusion, group GLM', () => {
  let out = '';
  let result: any;
  let inDir = '';
  beforeAll(async () => {
    const dir = tmp();
    inDir = join(dir, 'in');
    const outcome = await run(cohortJob(inDir), join(dir, 'out'));
    if (outcome.status !== 'succeeded') throw new Error(outcome.status === 'failed' ? outcome.error + ': ' + outcome.message : '');
    out = join(dir, 'out', 'reho-cohort');
    result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  }, 120_000);

  it('lists the excluded subject with its reason in the QC table and result.json', () => {
    expect(result.excluded).toEqual([{ id: 's09', reasons: [expect.stringMatching(/translation/)] }]);
    const csv = readFileSync(join(out, 'tables/qc_motion.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('participant_id,group,volumes_used,mean_fd,max_fd,spikes,spike_percent,max_translation_mm,max_rotation_deg,excluded,reason,wm_csf_source');
    expect(csv).toHaveLength(10);
    expect(csv[9]).toMatch(/^s09,A,55,.*,yes,max translation.*,confounds$/);
    expect(csv.slice(1, 9).every((l) => /,no,,(file|confounds)$/.test(l))).toBe(true);
    expect(existsSync(join(out, 'maps/sub-s09_reho.nii.gz'))).toBe(false);
    expect(existsSync(join(out, 'maps/sub-s01_szreho.nii.gz'))).toBe(true);
  });

  it('subject ReHo equals drop → nuisance regression → band-pass → Kendall W computed directly (fMRIPrep TSV and SPM rp inputs)', () => {
    for (const k of [0, 1]) {
      const id = `s0${k + 1}`;
      const s = synthSubject(k, k % 2 === 0, false);
      const ref = directReho(s, Float64Array.from(s.wm.slice(5)), Float64Array.from(s.csf.slice(5)));
      const map = bytesOf(join(out, `maps/sub-${id}_reho.nii.gz`));
      expect(map.equals(Buffer.from(ref.fast.buffer)), id).toBe(true);
      expectNearTwin(map, ref.twin, id);
    }
  });

  it('runs the glm stages on the included szReHo maps; group maps and tables sit beside the subject maps, one result.json', () => {
    expect(result.group.pipeline).toBe('glm');
    const c = result.group.contrasts['A-B'];
    expect(c.nSubjects).toBe(8);
    expect(c.dof).toBe(8 - 3);
    for (const f of ['maps/A-B_t.nii.gz', 'maps/A-B_z.nii.gz', 'maps/A-B_p.nii.gz', 'maps/A-B_grf.nii.gz', 'tables/A-B_clusters.csv', 'group_report.html']) {
      expect(existsSync(join(out, f)), f).toBe(true);
      expect(result.outputs, f).toContain(f);
      expect(result.group.outputs, f).toContain(f);
    }
    // no group/ folder and no second result.json; result.json is the last output listed
    expect(existsSync(join(out, 'group'))).toBe(false);
    expect(result.outputs.filter((o: string) => o.endsWith('result.json'))).toEqual(['result.json']);
    expect(result.outputs.at(-1)).toBe('result.json');
    for (const f of result.outputs) expect(existsSync(join(out, f)), f).toBe(true);
    const t = readNifti(readFileSync(join(out, 'maps/A-B_t.nii.gz')), 't').data;
    const [nx, ny] = DIMS;
    expect(t[4 + nx * (5 + ny * 4)]).toBeGreaterThan(3);
    expect(Math.max(...t)).toBeCloseTo(c.maxT, 4);
    const table = readFileSync(join(out, 'tables/A-B_clusters.csv'), 'utf8').trim().split('\n');
    expect(table[0]).toBe('cluster,tail,voxels,volume_mm3,peak_t,peak_z,peak_x,peak_y,peak_z_mm,label');
    expect(table).toHaveLength(1 + c.clusters.length);
    // the group design saw the 8 included subjects' szReHo maps, not the excluded s09
    const groupTable = readFileSync(join(workOf(out), 'group', 'participants.tsv'), 'utf8');
    expect(groupTable).not.toMatch(/s09/);
    expect(groupTable.trim().split('\n')).toHaveLength(9);
    expect(groupTable).toMatch(/sub-s01_szreho\.nii\.gz/);
    expect(result.cost.actualUsd).toBeGreaterThan(0);
    // the group step is a glm job of its own (started by GroupRun), embedded in this job's results
    const groupJob = JSON.parse(readFileSync(join(workOf(out), 'group', 'job.json'), 'utf8'));
    expect(groupJob).toMatchObject({ pipeline: 'glm', jobId: result.jobId, inputs: { participants: 'participants.tsv', mapColumn: 'szreho_map' } });
    // permutation inference runs in that glm execution
    expect(c.permutation.permutations).toBe(100);
    for (const f of ['maps/A-B_maxT_fwep.nii.gz', 'maps/A-B_tfce_fwep.nii.gz', 'maps/A-B_tfce.nii.gz']) expect(result.outputs, f).toContain(f);
    expect(c.permutation.minFweP.maxT).toBeGreaterThanOrEqual(0.01);
    // the job's report (report library) shows the group step: its nulls with every permutation, its design rows (8 included subjects)
    for (const page of [readFileSync(join(out, 'report.html'), 'utf8'), readFileSync(join(out, 'group_report.html'), 'utf8')]) {
      const nullSvg = page.match(/<svg [^>]*id="A-B_null_maxT"[\s\S]*?<\/svg>/)![0];
      expect([...nullSvg.matchAll(/<rect class="bar" data-count="(\d+)"/g)].reduce((a, m) => a + Number(m[1]), 0)).toBe(100);
      const design = page.match(/<svg [^>]*id="A-B_design"[\s\S]*?<\/svg>/)![0];
      expect(design).not.toMatch(/s09 ·/);
      for (const x of result.subjects.filter((x: any) => !x.excluded)) expect(design).toContain(`${x.id} · ${x.group} = 1</title>`);
    }
    expect(result.subjects.filter((x: any) => !x.excluded).map((x: any) => x.wmCsf.source)).toEqual(['file', 'confounds', 'confounds', 'file', 'confounds', 'confounds', 'file', 'confounds']);
  });
});

describe('reho pipeline: cleaned series (nuisance + band-pass) give bit-identical maps for any slab count', () => {
  const outs: Record<number, string> = {};
  beforeAll(async () => {
    for (const slabs of [1, 3, 10]) {
      const dir = tmp();
      const job = cohortJob(join(dir, 'in'), { params: { slabs, group: undefined }, edit: (rows) => rows.splice(3) });
      const outcome = await run(job, join(dir, 'out'));
      if (outcome.status !== 'succeeded') throw new Error(`${slabs} slabs: ${outcome.status === 'failed' ? outcome.error + ': ' + outcome.message : ''}`);
      outs[slabs] = join(dir, 'out', 'reho-cohort');
    }
  }, 120_000);

  it('1, 3 and 10 slabs: every subject map bit-identical, and equal to the whole-volume computation', () => {
    for (const id of ['s01', 's02', 's03']) {
      for (const m of ['reho', 'mreho', 'zreho', 'szreho']) {
        const a = bytesOf(join(outs[1]!, `maps/sub-${id}_${m}.nii.gz`));
        for (const slabs of [3, 10]) expect(bytesOf(join(outs[slabs]!, `maps/sub-${id}_${m}.nii.gz`)).equals(a), `${id} ${m} ${slabs} slabs`).toBe(true);
      }
    }
    const s = synthSubject(0, true, false);
    const ref = directReho(s, Float64Array.from(s.wm.slice(5)), Float64Array.from(s.csf.slice(5)));
    expect(bytesOf(join(outs[10]!, 'maps/sub-s01_reho.nii.gz')).equals(Buffer.from(ref.fast.buffer))).toBe(true);
  });
});

describe('reho pipeline: mask signals computed by the slab shards (one slab of every plane) equal the signals stage\'s', () => {
  const outs: Record<number, string> = {};
  beforeAll(async () => {
    for (const slabs of [1, 3]) {
      const dir = tmp();
      const outcome = await run(cohortJob(join(dir, 'in'), { masks: true, params: { slabs, group: undefined }, edit: (rows) => rows.splice(4) }), join(dir, 'out'));
      if (outcome.status !== 'succeeded') throw new Error(`${slabs} slabs: ${outcome.status === 'failed' ? outcome.error + ': ' + outcome.message : ''}`);
      outs[slabs] = join(dir, 'out', 'reho-cohort');
    }
  }, 120_000);

  it('1 slab: no signals stage ran, and every signals record and subject map equals the 3-slab run\'s (which has the stage)', () => {
    const metrics = (out: string) => readdirSync(join(workOf(out), 'metrics'));
    expect(metrics(outs[1]!)).not.toContain('rehoSignals');
    expect(metrics(outs[3]!)).toContain('rehoSignals');
    const record = (out: string, k: number) => {
      const key = join(workOf(out), 'signals', `${String(k).padStart(5, '0')}.json`);
      // the mask URIs name each run's own input folder
      const { wmMask: _w, csfMask: _c, ...rest } = JSON.parse(new TextDecoder().decode(openEnvelope(readFileSync(key), key)));
      return rest;
    };
    for (const k of [0, 1, 2, 3]) expect(record(outs[1]!, k), `subject ${k}`).toEqual(record(outs[3]!, k));
    for (const id of ['s01', 's02', 's03', 's04']) {
      for (const m of ['reho', 'mreho', 'zreho', 'szreho']) expect(bytesOf(join(outs[1]!, `maps/sub-${id}_${m}.nii.gz`)).equals(bytesOf(join(outs[3]!, `maps/sub-${id}_${m}.nii.gz`))), `${id} ${m}`).toBe(true);
    }
    const voxels = (out: string) => JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')).subjects.map((x: any) => [x.wmCsf.wmVoxels, x.wmCsf.csfVoxels]);
    expect(voxels(outs[1]!)).toEqual(voxels(outs[3]!));
    expect(voxels(outs[1]!).every(([w, c]: number[]) => w > 0 && c > 0)).toBe(true);
  });
});

describe('reho pipeline: WM/CSF regressors from masks (6-column motion files only)', () => {
  let out = '';
  let result: any;
  beforeAll(async () => {
    const dir = tmp();
    const outcome = await run(cohortJob(join(dir, 'in'), { masks: true, params: { group: undefined } }), join(dir, 'out'));
    if (outcome.status !== 'succeeded') throw new Error(outcome.status === 'failed' ? outcome.error + ': ' + outcome.message : '');
    out = join(dir, 'out', 'reho-cohort');
    result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  }, 120_000);

  it('the mean signals equal a plain mean over mask > 0.99 of the kept volumes, and are recorded as the source', () => {
    const work = workOf(out);
    for (const k of [0, 1]) {
      const s = synthSubject(k, k % 2 === 0, false);
      const level = k % 3 === 0 ? 'subject' : 'job';
      // intermediates are stored in the verified envelope (length + SHA-256)
      const key = join(work, 'signals', `${String(k).padStart(5, '0')}.json`);
      const rec = JSON.parse(new TextDecoder().decode(openEnvelope(readFileSync(key), key)));
      for (const kind of ['wm', 'csf'] as const) {
        const ref = plainMaskMean(s.data, tissueMask(kind, level), 0.99, 5);
        expect(rec[kind]).toHaveLength(NT - 5);
        expect(Math.max(...rec[kind].map((x: number, t: number) => Math.abs(x - ref.mean[t]!))), `${k} ${kind}`).toBeLessThan(1e-9);
        expect(rec[`${kind}Voxels`]).toBe(ref.n);
        expect(result.subjects[k].wmCsf[`${kind}Voxels`]).toBe(ref.n);
      }
      expect(result.subjects[k].wmCsf.source).toBe('masks');
      expect(result.subjects[k].wmCsf.wmMask).toMatch(level === 'subject' ? /s01_wm\.nii\.gz$/ : /wm_prob\.nii\.gz$/);
      expect(result.subjects[k].wmCsf.threshold).toBe(0.99);
    }
    // the job-level probability map: 0.995 and 1 are in, 0.98 is out
    expect(result.subjects[1].wmCsf.wmVoxels).toBeGreaterThan(0);
    const csv = readFileSync(join(out, 'tables/qc_motion.csv'), 'utf8').trim().split('\n');
    expect(csv.slice(1).every((l) => l.endsWith(',masks'))).toBe(true);
    // excluded s09 gets no signals computed
    expect(existsSync(join(work, 'signals', '00008.json'))).toBe(false);
    expect(result.subjects[8].excluded).toBe(true);
  });

  it('subject ReHo equals the direct computation with those mask signals as the WM/CSF regressors', () => {
    for (const k of [0, 1]) {
      const s = synthSubject(k, k % 2 === 0, false);
      const level = k % 3 === 0 ? 'subject' : 'job';
      const ref = directReho(s, plainMaskMean(s.data, tissueMask('wm', level), 0.99, 5).mean, plainMaskMean(s.data, tissueMask('csf', level), 0.99, 5).mean);
      const map = bytesOf(join(out, `maps/sub-s0${k + 1}_reho.nii.gz`));
      expect(map.equals(Buffer.from(ref.fast.buffer)), `s0${k + 1}`).toBe(true);
      expectNearTwin(map, ref.twin, `s0${k + 1}`);
      // and differs from a run with the true WM/CSF signals (the masks did change the regressors)
      const other = directReho(s, Float64Array.from(s.wm.slice(5)), Float64Array.from(s.csf.slice(5)));
      expect(bytesOf(join(out, `maps/sub-s0${k + 1}_reho.nii.gz`)).equals(Buffer.from(other.fast.buffer))).toBe(false);
    }
  });
});

describe('reho pipeline: bad input gives a named error.json and no result', () => {
  async function expectFailure(jobPath: string, error: string, inputPattern?: RegExp) {
    const out = join(tmp(), 'out');
    expectFailedJob(await run(jobPath, out), join(out, 'reho-cohort'), error, { input: inputPattern });
  }

  it('no confounds column while preprocessing is on', async () => {
    await expectFailure(cohortJob(join(tmp(), 'in'), { header: 'participant_id\tgroup\tage\tfunc\tmotion\twm_csf' }), 'InvalidParticipants', /participants/);
  });

  it('confounds with the wrong number of rows', async () => {
    const dir = join(tmp(), 'in');
    const jp = cohortJob(dir, { edit: (rows) => (rows[2]![4] = 'short.txt') });
    writeFileSync(join(dir, 'short.txt'), '0 0 0 0 0 0\n0 0 0 0 0 0\n');
    await expectFailure(jp, 'InvalidParticipants', /s03/);
  });

  it('a 3-D func image', async () => {
    const dir = join(tmp(), 'in');
    const jp = cohortJob(dir, { edit: (rows) => (rows[1]![3] = 'mask.nii.gz') });
    await expectFailure(jp, 'InvalidParameter', /s02/);
  });

  it('a mask on another grid', async () => {
    const dir = join(tmp(), 'in');
    const jp = cohortJob(dir);
    copyFileSync(join(VBM, 'vbm_mask.nii.gz'), join(dir, 'mask.nii.gz'));
    await expectFailure(jp, 'SpaceMismatch', /inputs\.mask/);
  });

  it('a subject WM mask on another grid', async () => {
    const dir = join(tmp(), 'in');
    const jp = cohortJob(dir, { masks: true });
    copyFileSync(join(VBM, 'vbm_mask.nii.gz'), join(dir, 's04_wm.nii.gz'));
    await expectFailure(jp, 'SpaceMismatch', /s04.*wm_mask/);
  });

  it('an empty job-level CSF mask (nothing above the threshold)', async () => {
    const dir = join(tmp(), 'in');
    const jp = cohortJob(dir, { masks: true });
    writeFileSync(join(dir, 'csf_prob.nii.gz'), writeNifti({ dims: DIMS, affine: AFFINE, data: new Float32Array(DIMS[0] * DIMS[1] * DIMS[2]).fill(0.5) }, { datatype: 'float32' }));
    await expectFailure(jp, 'EmptyData', /inputs\.csfMask/);
  });

  it('an empty subject WM mask (found when its signals are computed)', async () => {
    const dir = join(tmp(), 'in');
    const jp = cohortJob(dir, { masks: true });
    writeFileSync(join(dir, 's07_wm.nii.gz'), writeNifti({ dims: DIMS, affine: AFFINE, data: new Float32Array(DIMS[0] * DIMS[1] * DIMS[2]) }, { datatype: 'uint8' }));
    await expectFailure(jp, 'EmptyData', /s07 WM mask/);
  });

  it('a WM mask without a CSF mask', async () => {
    const dir = join(tmp(), 'in');
    const jp = cohortJob(dir, { masks: true });
    const job = JSON.parse(readFileSync(jp, 'utf8'));
    delete job.inputs.csfMask;
    writeFileSync(jp, JSON.stringify(job));
    await expectFailure(jp, 'InvalidParticipants', /participants/);
  });

  it('an over-budget job is refused before fan-out', async () => {
    await expectFailure(cohortJob(join(tmp(), 'in'), { budget: { maxUsd: 1e-9 } }), 'BudgetExceeded', /budget/);
  });
});

describe('reho pipeline: options', () => {
  it('smoothThenZ without a mask (data-derived mask) is recorded in job.json and the methods text', async () => {
    const dir = tmp();
    const jp = fixtureJob(join(dir, 'in'), { zOrder: 'smoothThenZ', slabs: 3 });
    const job = JSON.parse(readFileSync(jp, 'utf8'));
    delete job.inputs.mask;
    writeFileSync(jp, JSON.stringify(job));
    const outcome = await run(jp, join(dir, 'out'));
    expect(outcome.status).toBe('succeeded');
    const out = join(dir, 'out', 'reho-fixture');
    expect(JSON.parse(readFileSync(join(out, 'job.json'), 'utf8')).params.zOrder).toBe('smoothThenZ');
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    // the fixture is non-zero everywhere, so the derived mask is the whole volume
    expect(result.subjects[0].reho.maskVoxels).toBe(12 * 12 * 10);
    expect(result.methods).toMatch(/smooth then z/);
  });
});

describe('reho pipeline: gzipped subjects are planned as one slab each (each slab would inflate the whole stream)', () => {
  // 4 subjects of 48×48×40 × 240 = 22 M grid voxel·volumes: two slabs by data size (VOXEL_VOLUMES_PER_SLAB) and by
  // the MIN_SLABS floor (8 shards in all), one when gzipped (MIN_SLABS / 2 shards in all, memory allows one)
  const dims: [number, number, number, number] = [48, 48, 40, 240];
  const [nx, ny, nz, nt] = dims;
  const nVox = nx * ny * nz;
  const affine = Float64Array.from([-3, 0, 0, 72, 0, 3, 0, -72, 0, 0, 3, -60, 0, 0, 0, 1]);
  const data = new Float32Array(nVox * nt);
  const mask = new Uint8Array(nVox);
  const rng = stream(404, 0);
  // non-zero series in a small ball only (the data-derived mask), so the kernels stay cheap
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        if ((x - 24) ** 2 + (y - 24) ** 2 + (z - 20) ** 2 > 36) continue;
        const v = x + nx * (y + ny * z);
        mask[v] = 1;
        for (let t = 0; t < nt; t++) data[v + t * nVox] = Math.round(500 + 20 * rng.normal());
      }
  const results: Record<string, { out: string; result: any }> = {};
  beforeAll(async () => {
    for (const ext of ['nii.gz', 'nii']) {
      const dir = tmp();
      mkdirSync(join(dir, 'in'), { recursive: true });
      writeFileSync(join(dir, 'in', `func.${ext}`), writeNifti({ dims, affine, data, tr: 2 }, { datatype: 'int16', gzip: ext === 'nii.gz' }));
      writeFileSync(join(dir, 'in', 'participants.tsv'), `participant_id\tfunc\n${['big', 'b2', 'b3', 'b4'].map((id) => `${id}\tfunc.${ext}\n`).join('')}`);
      const jp = writeJob(join(dir, 'in'), { jobId: 'reho-big', pipeline: 'reho', inputs: { participants: 'participants.tsv' }, params: { preprocess: false } });
      const outcome = await run(jp, join(dir, 'out'));
      if (outcome.status !== 'succeeded') throw new Error(`${ext}: ${outcome.status === 'failed' ? outcome.error + ': ' + outcome.message : ''}`);
      const out = join(dir, 'out', 'reho-big');
      results[ext] = { out, result: JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) };
    }
  }, 180_000);

  it('one slab for the .nii.gz, two for the .nii (ranged reads), bit-identical maps equal to the whole-volume computation', () => {
    expect(results['nii.gz']!.result.shards.slabs).toBe(1);
    expect(results['nii']!.result.shards.slabs).toBe(2);
    for (const m of ['reho', 'mreho', 'zreho', 'szreho']) {
      expect(bytesOf(join(results['nii']!.out, `maps/sub-big_${m}.nii.gz`)).equals(bytesOf(join(results['nii.gz']!.out, `maps/sub-big_${m}.nii.gz`))), m).toBe(true);
    }
    const direct = Buffer.from(rehoVolume(data, dims, mask, 27).buffer);
    for (const id of ['big', 'b4']) expect(bytesOf(join(results['nii.gz']!.out, `maps/sub-${id}_reho.nii.gz`)).equals(direct), id).toBe(true);
  });
});
