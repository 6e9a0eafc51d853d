/**
 * Small synthetic inputs for the ALE and netmap bad-input corpus: a tiny isotropic mask and
 * Sleuth text for ALE; a tiny normative connectome (the demo generator on its 6 mm grid, few
 * subjects, short runs) and seeds tables for netmap. Every builder writes into a given folder.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNifti, writeNifti } from '../../shared/nifti/index.ts';
import type { BadCase } from './bad-input-corpus.ts';
import { demoConnectome, type DemoConnectome } from '../../shared/demo/connectome.ts';

// ---------- ALE ----------

/** A 2 mm grid of 20 × 24 × 20 voxels around the MNI origin (x −20…18, y −24…22, z −20…18). */
export const ALE_DIMS: [number, number, number] = [20, 24, 20];
export const ALE_AFFINE = [2, 0, 0, -20, 0, 2, 0, -24, 0, 0, 2, -20, 0, 0, 0, 1];

export interface SleuthExperiment {
  name: string;
  n: number | string;
  foci: (number | string)[][];
}

/** A few experiments whose foci cluster near (10, −10, 10) and (−10, 10, −8). */
export const ALE_EXPERIMENTS: SleuthExperiment[] = [
  { name: 'Alpha 2001: task', n: 14, foci: [[10, -10, 10], [12, -8, 8], [-10, 10, -8]] },
  { name: 'Beta 2003: task', n: 22, foci: [[8, -10, 12], [-12, 12, -10]] },
  { name: 'Gamma 2005: task', n: 18, foci: [[10, -12, 10], [-8, 10, -6]] },
  { name: 'Delta 2008: task', n: 11, foci: [[12, -10, 10], [0, 0, 10]] },
];

export function sleuthText(exps: readonly SleuthExperiment[], reference = 'MNI'): string {
  return [`// Reference=${reference}`, ...exps.flatMap((e) => [`// ${e.name}`, `// Subjects=${e.n}`, ...e.foci.map((f) => f.join('\t')), ''])].join('\n');
}

/** A mask NIfTI on the ALE grid: `inside(i, j, k)` voxels are 1 (default: all), `dims4` makes it 4-D. */
export function aleMask(inside: (i: number, j: number, k: number) => boolean = () => true, dims4?: number): Uint8Array {
  const [nx, ny, nz] = ALE_DIMS;
  const vols = dims4 ?? 1;
  const data = new Float32Array(nx * ny * nz * vols);
  for (let t = 0; t < vols; t++) for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) data[t * nx * ny * nz + i + nx * (j + ny * k)] = inside(i, j, k) ? 1 : 0;
  return writeNifti({ dims: dims4 ? [nx, ny, nz, dims4] : ALE_DIMS, affine: Float64Array.from(ALE_AFFINE), pixdim: dims4 ? [2, 2, 2, 1] : [2, 2, 2], data }, { datatype: 'uint8' });
}

export interface AleCaseOptions {
  /** coordinate file text (default: the four experiments) */
  coordinates?: string;
  coordinatesName?: string;
  /** mask bytes (default: the full small grid); null = no mask (the bundled one) */
  mask?: Uint8Array | null;
  params?: Record<string, unknown>;
  inputs?: Record<string, unknown>;
  jobId?: string;
  /** extra files to write beside job.json */
  files?: Record<string, string | Uint8Array>;
  /** the raw job.json text (replaces the built one) */
  raw?: string;
}

/** Write an ALE job folder; returns job.json's path. */
export function aleJob(dir: string, o: AleCaseOptions = {}): string {
  mkdirSync(dir, { recursive: true });
  const coordName = o.coordinatesName ?? 'coords.txt';
  writeFileSync(join(dir, coordName), o.coordinates ?? sleuthText(ALE_EXPERIMENTS));
  const inputs: Record<string, unknown> = { coordinates: coordName };
  if (o.mask !== null) {
    writeFileSync(join(dir, 'mask.nii.gz'), o.mask ?? aleMask());
    inputs.mask = 'mask.nii.gz';
  }
  for (const [name, body] of Object.entries(o.files ?? {})) writeFileSync(join(dir, name), body);
  const path = join(dir, 'job.json');
  writeFileSync(path, o.raw ?? JSON.stringify({ jobId: o.jobId ?? 'bad-ale', pipeline: 'ale', seed: 1, inputs: { ...inputs, ...o.inputs }, params: { iterations: 100, fweAlpha: [0.05], ...o.params } }, null, 2));
  return path;
}

// ---------- netmap ----------

let demo: DemoConnectome | undefined;
/** The demo connectome generator at its smallest useful size: 4 subjects × 2 runs of 12 volumes. */
export function tinyConnectome(): DemoConnectome {
  return (demo ??= demoConnectome(5, 4, 12));
}

/** A NIfTI on the connectome's grid (`data` full grid; `dims4` adds a 4th dimension of that many volumes). */
export function onConnectomeGrid(data: Float32Array, dims4?: number, datatype: 'uint8' | 'float32' = 'uint8'): Uint8Array {
  const g = tinyConnectome().manifest.grid;
  return writeNifti({ dims: dims4 ? [...g.dims, dims4] : g.dims, affine: Float64Array.from(g.affine), pixdim: dims4 ? [...g.pixdim, 1] : g.pixdim, data }, { datatype });
}

export interface ConnectomeOptions {
  /** change the manifest before it is written */
  manifest?: (m: Record<string, any>) => void;
  /** replace subject s's file bytes */
  subjectBytes?: (s: number, bytes: Uint8Array) => Uint8Array;
  /** the connectome mask bytes (default: the demo mask) */
  mask?: Uint8Array;
}

/** Write the tiny connectome into `<dir>/connectome/`; returns connectome.json's path. */
export function writeTinyConnectome(dir: string, o: ConnectomeOptions = {}): string {
  const c = tinyConnectome();
  const root = join(dir, 'connectome');
  mkdirSync(join(root, 'subjects'), { recursive: true });
  writeFileSync(join(root, c.manifest.mask), o.mask ?? onConnectomeGrid(Float32Array.from(c.mask)));
  const manifest = JSON.parse(JSON.stringify(c.manifest)) as Record<string, any>;
  c.manifest.subjects.forEach((s, i) => {
    const runs = c.runs[i]!;
    const all = new Float32Array(runs.reduce((a, r) => a + r.length, 0));
    let off = 0;
    for (const r of runs) (all.set(r, off), (off += r.length));
    const bytes = new Uint8Array(all.buffer);
    writeFileSync(join(root, s.file), o.subjectBytes ? o.subjectBytes(i, bytes) : bytes);
  });
  o.manifest?.(manifest);
  const path = join(root, 'connectome.json');
  writeFileSync(path, JSON.stringify(manifest, null, 2));
  return path;
}

export const NETMAP_SEEDS = ['study,x,y,z', 'thalA,-9,-21,6', 'thalB,-15,-15,6', 'cereb,33,-63,-30', 'occip,-27,-87,6'].join('\n') + '\n';

export interface NetmapCaseOptions {
  seeds?: string;
  connectome?: ConnectomeOptions;
  inputs?: Record<string, unknown>;
  params?: Record<string, unknown>;
  files?: Record<string, string | Uint8Array>;
  jobId?: string;
}

/** Write a netmap job folder (connectome inside it); returns job.json's path. */
export function netmapJob(dir: string, o: NetmapCaseOptions = {}): string {
  mkdirSync(dir, { recursive: true });
  const connectome = writeTinyConnectome(dir, o.connectome);
  writeFileSync(join(dir, 'seeds.csv'), o.seeds ?? NETMAP_SEEDS);
  for (const [name, body] of Object.entries(o.files ?? {})) writeFileSync(join(dir, name), body);
  const path = join(dir, 'job.json');
  const params = { threshold: 3, sphereDiameterMm: 12, validation: { peaks: 0 }, ...o.params };
  writeFileSync(path, JSON.stringify({ jobId: o.jobId ?? 'bad-netmap', pipeline: 'netmap', inputs: { connectome: connectome.slice(dir.length + 1), seeds: 'seeds.csv', ...o.inputs }, params }, null, 2));
  return path;
}

/** The connectome mask as a full-grid Float32Array of 0/1 (for building masks on its grid). */
export function connectomeMaskData(): Float32Array {
  return Float32Array.from(tinyConnectome().mask);
}

/** A full-grid map that is 1 within `radiusMm` of an MNI point (on the connectome grid), 0 elsewhere. */
export function ballOnConnectome(centre: [number, number, number], radiusMm: number): Float32Array {
  const g = tinyConnectome().manifest.grid;
  const [nx, ny, nz] = g.dims;
  const a = g.affine;
  const out = new Float32Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
    const p = [0, 1, 2].map((r) => a[r * 4]! * i + a[r * 4 + 1]! * j + a[r * 4 + 2]! * k + a[r * 4 + 3]!);
    if (Math.hypot(p[0]! - centre[0], p[1]! - centre[1], p[2]! - centre[2]) <= radiusMm) out[i + nx * (j + ny * k)] = 1;
  }
  return out;
}

// ---------- the cases ----------

const withExp = (i: number, change: Partial<SleuthExperiment>): SleuthExperiment[] => ALE_EXPERIMENTS.map((e, k) => (k === i ? { ...e, ...change } : e));
const PASSWD = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n';

/** The ALE corpus. */
export const aleCases: BadCase[] = [
  // --- accepted with a warning ---
  { name: 'a focus outside the mask (kept, counted per experiment)', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(1, { foci: [[8, -10, 12], [-12, 12, -10], [60, 0, 0], [0, 80, 0]] })) }), warning: /experiment "Beta 2003: task": 2 foci lie outside inputs\.mask/ },
  { name: 'a focus at 1e999 (dropped, counted)', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(2, { foci: [[10, -12, 10], ['1e999', 0, 0], [-8, 10, -6]] })) }), warning: /experiment "Gamma 2005: task": 1 focus of 3 dropped/ },
  { name: 'a focus at 1e300 mm (would wrap the voxel index; dropped)', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(0, { foci: [[10, -10, 10], [1e300, 0, 0]] })) }), warning: /experiment "Alpha 2001: task": 1 focus of 2 dropped/ },
  { name: 'the default fweAlpha 0.01 unreachable with 30 iterations (empty map, warned)', build: (d) => aleJob(d, { params: { iterations: 30, fweAlpha: [0.05, 0.01] } }), warning: /params\.fweAlpha 0\.01 \(needs at least 101 iterations\)/ },
  { name: 'a second Reference line (ignored, warned)', build: (d) => aleJob(d, { coordinates: sleuthText(ALE_EXPERIMENTS).replace('// Beta 2003', '// Reference=Talairach\n// Beta 2003') }), warning: /a second Reference line/ },
  // --- refused: the mask ---
  { name: 'a mask that contains no focus', build: (d) => aleJob(d, { mask: aleMask((i, j, k) => i < 3 && j < 3 && k < 3) }), error: 'EmptyData', input: 'inputs.mask', message: /none of the \d+ foci .* inside inputs\.mask/ },
  { name: 'an all-zero mask', build: (d) => aleJob(d, { mask: aleMask(() => false) }), error: 'EmptyData', input: 'inputs.mask' },
  { name: 'a 4-D mask', build: (d) => aleJob(d, { mask: aleMask(undefined, 2) }), error: 'InvalidParameter', input: 'inputs.mask', message: /3-D/ },
  { name: 'a mask that is not NIfTI (contents not echoed)', build: (d) => aleJob(d, { mask: new TextEncoder().encode(PASSWD) }), error: 'InvalidNifti', input: 'inputs.mask', notInMessage: ['root', 'daemon'] },
  { name: 'a missing mask file', build: (d) => aleJob(d, { mask: null, inputs: { mask: 'nope.nii.gz' } }), error: 'MissingInput', input: 'inputs.mask' },
  { name: 'an anisotropic mask', build: (d) => aleJob(d, { mask: null, inputs: { mask: 'aniso.nii.gz' }, files: { 'aniso.nii.gz': anisotropicMask() } }), error: 'InvalidParameter', input: 'inputs.mask', message: /isotropic/ },
  { name: 'an atlas on another grid', build: (d) => aleJob(d, { inputs: { atlas: 'atlas.nii.gz' }, files: { 'atlas.nii.gz': onConnectomeGrid(new Float32Array(24 * 28 * 24)) } }), error: 'SpaceMismatch', input: 'inputs.atlas' },
  // --- refused: parameters ---
  { name: 'fweAlpha 0.001 with 100 iterations', build: (d) => aleJob(d, { params: { iterations: 100, fweAlpha: [0.001] } }), error: 'InvalidParameter', input: 'params.fweAlpha', message: /at least 1001 iterations/ },
  { name: 'fweAlpha [0.05, 0.005] with 150 iterations (the second unreachable)', build: (d) => aleJob(d, { params: { iterations: 150, fweAlpha: [0.05, 0.005] } }), error: 'InvalidParameter', input: 'params.fweAlpha', message: /0\.005 \(needs at least 201 iterations\)/ },
  { name: 'fweAlpha 0 (schema)', build: (d) => aleJob(d, { params: { fweAlpha: [0] } }), error: 'InvalidJobSpec', input: /params\.fweAlpha/ },
  { name: 'iterations below the minimum', build: (d) => aleJob(d, { params: { iterations: 3 } }), error: 'InvalidJobSpec', input: /params\.iterations/ },
  { name: 'clusterFormingP 1', build: (d) => aleJob(d, { params: { clusterFormingP: 1 } }), error: 'InvalidJobSpec', input: /params\.clusterFormingP/ },
  { name: 'an unknown parameter', build: (d) => aleJob(d, { params: { kernel: 'fixed' } }), error: 'InvalidJobSpec', input: /params\.kernel/ },
  { name: 'contrast settings without a second coordinate set', build: (d) => aleJob(d, { params: { contrast: { iterations: 100 } } }), error: 'InvalidParameter', input: 'params.contrast' },
  { name: 'contrast permutations too few for the contrast p', build: (d) => aleJob(d, { inputs: { coordinates2: 'coords.txt' }, params: { contrast: { iterations: 500 } } }), error: 'InvalidParameter', input: 'params.contrast.iterations', message: /at least 1001/ },
  { name: 'a jackknife with two experiments', build: (d) => aleJob(d, { coordinates: sleuthText(ALE_EXPERIMENTS.slice(0, 2)), params: { jackknife: true } }), error: 'InvalidParameter', input: 'params.jackknife' },
  // --- refused: the coordinates ---
  { name: 'duplicate experiment ids (Sleuth), naming the id and lines', build: (d) => aleJob(d, { coordinates: sleuthText([...ALE_EXPERIMENTS, ALE_EXPERIMENTS[1]!]) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /"Beta 2003: task" appears 2 times \(line 8, line 23\)/ },
  { name: 'duplicate experiment ids (NiMARE JSON)', build: (d) => aleJob(d, { coordinatesName: 'coords.json', coordinates: JSON.stringify(nimare({ 'a-1': { x: 'c' }, a: { '1-x': 'c' } })) }), error: 'InvalidCoordinates', input: 'coords.json', message: /"a-1-x" appears 2 times/ },
  { name: 'duplicate analysis ids (NIMADS studyset)', build: (d) => aleJob(d, { coordinatesName: 'coords.json', coordinates: JSON.stringify(nimads([['s1', 'a1'], ['s1', 'a1']])) }), error: 'InvalidCoordinates', input: 'coords.json', message: /"s1-a1" appears 2 times \(studies\[0\]\.analyses\[0\], studies\[1\]\.analyses\[0\]\)/ },
  { name: 'a non-numeric coordinate', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(0, { foci: [[10, -10, 'dog']] })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /line 4: "dog" is not a number/ },
  { name: 'hexadecimal 0x5f0 as a coordinate', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(0, { foci: [[10, -10, '0x5f0']] })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /"0x5f0" is not a number/ },
  { name: 'a focus row with two values', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(0, { foci: [[10, -10]] })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /line 4: .*found 2 value/ },
  { name: 'a focus row with four values', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(0, { foci: [[10, -10, 4, 5]] })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /found 4 value/ },
  { name: 'sample size 0', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(1, { n: 0 })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /line 9: "\/\/ Subjects=" needs a positive whole number/ },
  { name: 'a negative sample size', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(1, { n: -4 })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /Subjects=/ },
  { name: 'a fractional sample size', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(1, { n: 12.5 })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /positive whole number/ },
  { name: 'NiMARE sample size 0', build: (d) => aleJob(d, { coordinatesName: 'coords.json', coordinates: JSON.stringify(nimare({ a: { '1': 'c' }, b: { '1': 'c' } }, 0)) }), error: 'InvalidCoordinates', input: 'coords.json', message: /sample_sizes/ },
  { name: 'a missing Subjects line', build: (d) => aleJob(d, { coordinates: sleuthText(ALE_EXPERIMENTS).replace('// Subjects=22\n', '') }), error: 'InvalidCoordinates', input: 'coords.txt', message: /line 9: a focus row before the experiment.s "\/\/ Subjects=N" line/ },
  { name: 'no Reference line', build: (d) => aleJob(d, { coordinates: sleuthText(ALE_EXPERIMENTS).replace('// Reference=MNI\n', '') }), error: 'InvalidCoordinates', input: 'coords.txt', message: /must start with/ },
  { name: 'an unknown reference space', build: (d) => aleJob(d, { coordinates: sleuthText(ALE_EXPERIMENTS, 'Dog') }), error: 'InvalidCoordinates', input: 'coords.txt', message: /unknown reference space/ },
  { name: 'an experiment with no foci', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(2, { foci: [] })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /has no foci/ },
  { name: 'a single experiment', build: (d) => aleJob(d, { coordinates: sleuthText(ALE_EXPERIMENTS.slice(0, 1)) }), error: 'EmptyData', input: 'inputs.coordinates' },
  { name: 'every focus of an experiment at 1e999', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(3, { foci: [['1e999', 0, 0]] })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /"Delta 2008: task" has no focus that can be placed/ },
  { name: 'a text file that is not a coordinate file (contents not echoed)', build: (d) => aleJob(d, { coordinates: PASSWD }), error: 'InvalidCoordinates', input: 'coords.txt', notInMessage: ['root', 'daemon', 'bash'] },
  { name: 'a Reference line then foreign rows (contents not echoed)', build: (d) => aleJob(d, { coordinates: `// Reference=MNI\n// x\n// Subjects=3\n${PASSWD}` }), error: 'InvalidCoordinates', input: 'coords.txt', notInMessage: ['daemon', 'nologin', 'sbin'] },
  { name: 'JSON that is not a coordinate set', build: (d) => aleJob(d, { coordinatesName: 'coords.json', coordinates: '{"a": 1}' }), error: 'InvalidCoordinates', input: 'coords.json' },
  { name: 'NiMARE foci at 1e999 (JSON reads them as Infinity)', build: (d) => aleJob(d, { coordinatesName: 'coords.json', coordinates: JSON.stringify(nimare({ a: { '1': 'c' }, b: { '1': 'c' } })).replace('[10,', '[1e999,') }), error: 'InvalidCoordinates', input: 'coords.json', message: /finite/ },
  { name: 'a missing coordinates file', build: (d) => aleJob(d, { inputs: { coordinates: 'nope.txt' } }), error: 'MissingInput', input: 'inputs.coordinates' },
  { name: 'a coordinates path escaping the job folder', build: (d) => aleJob(d, { inputs: { coordinates: '../coords.txt' } }), error: 'UnsafeInputKey', input: '../coords.txt' },
  { name: 'a second coordinate set with one experiment', build: (d) => aleJob(d, { inputs: { coordinates2: 'b.txt' }, files: { 'b.txt': sleuthText(ALE_EXPERIMENTS.slice(0, 1)) }, params: { contrast: { iterations: 1001 } } }), error: 'EmptyData', input: 'inputs.coordinates2' },
  { name: 'a second coordinate set with no focus in the mask', build: (d) => aleJob(d, { inputs: { coordinates2: 'b.txt' }, files: { 'b.txt': sleuthText(ALE_EXPERIMENTS.map((e) => ({ ...e, foci: [[80, 80, 80]] }))) }, params: { contrast: { iterations: 1001 } } }), error: 'EmptyData', input: 'inputs.mask', message: /b\.txt/ },
  { name: 'a jobId that is not a safe path component', build: (d) => aleJob(d, { jobId: '../other' }), error: 'InvalidJobSpec', input: /jobId/ },
];

/** NiMARE dataset JSON: { study: { contrast: 'c' } } with two foci each. */
function nimare(studies: Record<string, Record<string, string>>, n = 12): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(studies).map(([s, cons]) => [s, { contrasts: Object.fromEntries(Object.keys(cons).map((c) => [c, { coords: { space: 'MNI', x: [10, -10], y: [-10, 10], z: [10, -8] }, metadata: { sample_sizes: [n] } }])) }]),
  );
}

/** A NIMADS studyset with one analysis per [study, analysis] pair. */
function nimads(pairs: [string, string][]): Record<string, unknown> {
  return { studies: pairs.map(([s, a]) => ({ id: s, analyses: [{ id: a, points: [{ coordinates: [10, -10, 10], space: 'MNI' }, { coordinates: [-10, 10, -8], space: 'MNI' }], metadata: { sample_sizes: [12] } }] })) };
}

function anisotropicMask(): Uint8Array {
  return aleMaskWith([2, 2, 3]);
}

function aleMaskWith(pixdim: [number, number, number]): Uint8Array {
  const bytes = aleMask();
  // same grid, the affine's z column stretched: decode, change, encode again
  return reencode(bytes, pixdim);
}

function reencode(bytes: Uint8Array, pixdim: [number, number, number]): Uint8Array {
  const v = readNifti(bytes, 'mask');
  const a = Float64Array.from(v.header.affine);
  for (let c = 0; c < 3; c++) for (let r = 0; r < 3; r++) a[r * 4 + c] = r === c ? pixdim[c]! : 0;
  return writeNifti({ dims: v.header.dims.slice(0, 3) as [number, number, number], affine: a, pixdim, data: Float32Array.from(v.data) }, { datatype: 'uint8' });
}

const mask4 = () => onConnectomeGrid(new Float32Array([...connectomeMaskData(), ...connectomeMaskData()]), 2);
const lesion = (c: [number, number, number], r = 10) => onConnectomeGrid(ballOnConnectome(c, r));
const nanLike = (bytes: Uint8Array) => new Uint8Array(new Float32Array(bytes.byteLength / 4).fill(NaN).buffer);

/** The netmap corpus. */
export const netmapCases: BadCase[] = [
  // --- masks on the connectome grid ---
  { name: 'a 4-D inputs.mask', build: (d) => netmapJob(d, { inputs: { mask: 'mask.nii.gz' }, files: { 'mask.nii.gz': mask4() } }), error: 'InvalidParameter', input: 'inputs.mask', message: /3-D/ },
  { name: 'a 4-D lesion mask as a seed', build: (d) => netmapJob(d, { seeds: 'study,mask\nles1,l1.nii.gz\nles2,l2.nii.gz\n', files: { 'l1.nii.gz': onConnectomeGrid(new Float32Array([...ballOnConnectome([-12, -18, 6], 10), ...ballOnConnectome([-12, -18, 6], 10)]), 2), 'l2.nii.gz': lesion([24, -90, 6]) } }), error: 'InvalidParameter', input: /seeds\.csv \(les1\) mask/, message: /3-D/ },
  { name: 'a 4-D atlas', build: (d) => netmapJob(d, { inputs: { atlas: 'atlas.nii.gz' }, files: { 'atlas.nii.gz': mask4() } }), error: 'InvalidParameter', input: 'inputs.atlas', message: /3-D/ },
  { name: 'a 4-D reference map', build: (d) => netmapJob(d, { inputs: { reference: 'ref.nii.gz' }, files: { 'ref.nii.gz': mask4() } }), error: 'InvalidParameter', input: 'inputs.reference', message: /3-D/ },
  { name: 'a 4-D connectome mask', build: (d) => netmapJob(d, { connectome: { mask: mask4() } }), error: 'InvalidParameter', input: 'inputs.connectome', message: /3-D/ },
  { name: 'an inputs.mask on another grid', build: (d) => netmapJob(d, { inputs: { mask: 'mask.nii.gz' }, files: { 'mask.nii.gz': aleMask() } }), error: 'SpaceMismatch', input: 'inputs.mask' },
  { name: 'a lesion mask that is not NIfTI (contents not echoed)', build: (d) => netmapJob(d, { seeds: 'study,mask\nles1,l1.nii.gz\nles2,l2.nii.gz\n', files: { 'l1.nii.gz': PASSWD, 'l2.nii.gz': lesion([24, -90, 6]) } }), error: 'InvalidNifti', input: /les1/, notInMessage: ['root', 'daemon'] },
  { name: 'a lesion mask outside the connectome mask', build: (d) => netmapJob(d, { seeds: 'study,mask\nles1,l1.nii.gz\nles2,l2.nii.gz\n', files: { 'l1.nii.gz': onConnectomeGrid(new Float32Array(connectomeMaskData().length).map((_, g) => (connectomeMaskData()[g] ? 0 : 1))), 'l2.nii.gz': lesion([24, -90, 6]) } }), error: 'EmptyData', input: 'seeds.csv', message: /les1's mask has no non-zero voxel inside the connectome mask/ },
  { name: 'a missing lesion mask', build: (d) => netmapJob(d, { seeds: 'study,mask\nles1,gone.nii.gz\n' }), error: 'MissingInput', input: /les1/ },
  // --- the connectome ---
  { name: 'an all-NaN connectome subject', build: (d) => netmapJob(d, { connectome: { subjectBytes: (s, b) => (s === 2 ? nanLike(b) : b) } }), error: 'InvalidConnectome', input: /subjects\/sub-0003\.f32/, message: /no finite value/ },
  { name: 'a connectome subject with a NaN volume', build: (d) => netmapJob(d, { connectome: { subjectBytes: (s, b) => (s === 1 ? withNaNAt(b, 0) : b) } }), error: 'InvalidConnectome', input: /subjects\/sub-0002\.f32/, message: /non-finite/ },
  { name: 'a connectome subject file too short', build: (d) => netmapJob(d, { connectome: { subjectBytes: (s, b) => (s === 1 ? b.subarray(0, b.byteLength - 4 * 17) : b) } }), error: 'InvalidConnectome', input: /subjects\/sub-0002\.f32/, message: /bytes/ },
  { name: 'a connectome subject file too long', build: (d) => netmapJob(d, { connectome: { subjectBytes: (s, b) => (s === 0 ? new Uint8Array([...b, 0, 0, 0, 0]) : b) } }), error: 'InvalidConnectome', input: /subjects\/sub-0001\.f32/ },
  { name: 'an empty connectome subject file', build: (d) => netmapJob(d, { connectome: { subjectBytes: (s, b) => (s === 3 ? new Uint8Array(0) : b) } }), error: 'InvalidConnectome', input: /subjects\/sub-0004\.f32/ },
  { name: 'a connectome subject file that is text (contents not echoed)', build: (d) => netmapJob(d, { connectome: { subjectBytes: (s, b) => (s === 0 ? new TextEncoder().encode(PASSWD) : b) } }), error: 'InvalidConnectome', input: /subjects\/sub-0001\.f32/, notInMessage: ['root', 'daemon'] },
  { name: 'a connectome subject file gzip-compressed', build: (d) => netmapJob(d, { connectome: { subjectBytes: (s, b) => (s === 0 ? gzipLike(b) : b) } }), error: 'InvalidConnectome', input: /subjects\/sub-0001\.f32/, message: /gzip/ },
  { name: 'a missing connectome subject file', build: (d) => netmapJob(d, { connectome: { manifest: (m) => (m.subjects[1].file = 'subjects/nope.f32') } }), error: 'MissingInput', input: 'inputs.connectome', message: /sub-0002/ },
  { name: 'a connectome subject file escaping the connectome folder', build: (d) => netmapJob(d, { connectome: { manifest: (m) => (m.subjects[1].file = '../../x.f32') } }), error: 'UnsafeInputKey', input: '../../x.f32' },
  { name: 'connectome manifest voxels disagreeing with its mask', build: (d) => netmapJob(d, { connectome: { manifest: (m) => (m.voxels += 1) } }), error: 'InvalidParameter', input: 'inputs.connectome', message: /manifest says/ },
  { name: 'connectome manifest with one subject', build: (d) => netmapJob(d, { connectome: { manifest: (m) => m.subjects.splice(1) } }), error: 'InvalidParameter', input: 'inputs.connectome', message: /subjects/ },
  { name: 'connectome manifest of another format', build: (d) => netmapJob(d, { connectome: { manifest: (m) => (m.format = 'lead-dbs') } }), error: 'InvalidParameter', input: 'inputs.connectome', message: /format/ },
  { name: 'connectome manifest with runs of 2 volumes', build: (d) => netmapJob(d, { connectome: { manifest: (m) => (m.subjects[0].runs = [2, 2]) } }), error: 'InvalidParameter', input: 'inputs.connectome' },
  { name: 'duplicate connectome subject ids', build: (d) => netmapJob(d, { connectome: { manifest: (m) => (m.subjects[1].id = m.subjects[0].id) } }), error: 'InvalidParameter', input: 'inputs.connectome', message: /sub-0001.*twice/ },
  { name: 'a connectome.json that is not JSON', build: (d) => netmapJob(d, { inputs: { connectome: 'c.json' }, files: { 'c.json': PASSWD } }), error: 'InvalidParameter', input: 'inputs.connectome', notInMessage: ['daemon'] },
  { name: 'a missing connectome', build: (d) => netmapJob(d, { inputs: { connectome: 'nope/connectome.json' } }), error: 'MissingInput', input: 'inputs.connectome' },
  // --- seeds ---
  { name: 'a seed outside any MNI brain', build: (d) => netmapJob(d, { seeds: 'study,x,y,z\nfar,300,0,0\nthalA,-9,-21,6\n' }), error: 'InvalidParticipants', input: 'seeds.csv', message: /row 1 \(far\).*outside any MNI brain/ },
  { name: 'a seed outside the connectome brain', build: (d) => netmapJob(d, { seeds: 'study,x,y,z\nout,0,0,120\nthalA,-9,-21,6\n' }), error: 'EmptyData', input: 'seeds.csv', message: /study out's 1 sphere/ },
  { name: 'a non-numeric seed coordinate', build: (d) => netmapJob(d, { seeds: 'study,x,y,z\na,1,2,abc\n' }), error: 'InvalidParticipants', input: 'seeds.csv', message: /row 1 \(a\)/, notInMessage: [] },
  { name: 'a hexadecimal seed coordinate', build: (d) => netmapJob(d, { seeds: 'study,x,y,z\na,0x10,2,3\n' }), error: 'InvalidParticipants', input: 'seeds.csv', message: /row 1 \(a\)/ },
  { name: 'an empty seed coordinate', build: (d) => netmapJob(d, { seeds: 'study,x,y,z\na,1,,3\n' }), error: 'InvalidParticipants', input: 'seeds.csv' },
  { name: 'a seeds table without a study column', build: (d) => netmapJob(d, { seeds: 'name,x,y,z\na,1,2,3\n' }), error: 'InvalidParticipants', input: 'seeds.csv', message: /no column "study"/ },
  { name: 'a seeds table without coordinates or masks', build: (d) => netmapJob(d, { seeds: 'study,x,y\na,1,2\n' }), error: 'InvalidParticipants', input: 'seeds.csv', message: /x, y, z/ },
  { name: 'a seeds table with only a header', build: (d) => netmapJob(d, { seeds: 'study,x,y,z\n' }), error: 'EmptyData', input: 'seeds.csv' },
  { name: 'a study named with "/"', build: (d) => netmapJob(d, { seeds: 'study,x,y,z\nfoo/bar,-9,-21,6\n' }), error: 'InvalidParticipants', input: 'seeds.csv', message: /row 1: study "foo\/bar"/ },
  { name: 'a study named ".."', build: (d) => netmapJob(d, { seeds: 'study,x,y,z\n..,-9,-21,6\n' }), error: 'InvalidParticipants', input: 'seeds.csv', message: /row 1: study "\.\."/ },
  { name: 'a study named "../../HC"', build: (d) => netmapJob(d, { seeds: 'study,x,y,z\nthalA,-9,-21,6\n../../HC,-15,-15,6\n' }), error: 'InvalidParticipants', input: 'seeds.csv', message: /row 2/ },
  { name: 'a study in seeds and controls', build: (d) => netmapJob(d, { inputs: { controls: 'ctl.csv' }, files: { 'ctl.csv': 'study,x,y,z\nthalA,30,-66,-30\n' } }), error: 'InvalidParticipants', input: 'inputs.controls', message: /thalA/ },
  { name: 'a control set named with "/"', build: (d) => netmapJob(d, { inputs: { controls: { 'a/b': 'ctl.csv' } }, files: { 'ctl.csv': 'study,x,y,z\nc1,30,-66,-30\n' } }), error: 'InvalidJobSpec', input: /inputs\.controls/ },
  { name: 'a further connectome named ".."', build: (d) => netmapJob(d, { inputs: { connectomes: { '..': 'connectome/connectome.json' } } }), error: 'InvalidJobSpec', input: /inputs\.connectomes/ },
  { name: 'an ROI-test group named "../x"', build: (d) => netmapJob(d, { params: { roiTests: { groups: { '../x': 'seeds.csv', b: 'seeds.csv' } } } }), error: 'InvalidJobSpec', input: /params\.roiTests\.groups/ },
  { name: 'a DBS outcome that is not a number', build: (d) => netmapJob(d, { seeds: 'study,x,y,z,outcome\nthalA,-9,-21,6,lots\n', params: { dbs: {} } }), error: 'InvalidParticipants', input: 'seeds.csv', message: /outcome "lots"/ },
  { name: 'DBS without outcomes', build: (d) => netmapJob(d, { params: { dbs: {} } }), error: 'InvalidParticipants', input: 'seeds.csv', message: /outcome/ },
  { name: 'a VAT amplitude that is not a number', build: (d) => netmapJob(d, { seeds: 'study,x,y,z,amplitude,outcome\nthalA,-9,-21,6,high,10\nthalB,-15,-15,6,2,20\n', params: { dbs: {} } }), error: 'InvalidParticipants', input: 'seeds.csv', message: /row 1 \(thalA\)/ },
  { name: 'specificity without controls', build: (d) => netmapJob(d, { params: { specificity: {} } }), error: 'InvalidParameter', input: 'params.specificity' },
  { name: 'roiTests with one group', build: (d) => netmapJob(d, { params: { roiTests: { groups: { a: 'seeds.csv' } } } }), error: 'InvalidParameter', input: 'params.roiTests.groups' },
  { name: 'atlas labels without an atlas', build: (d) => netmapJob(d, { params: { validation: { atlasLabels: [1] } } }), error: 'InvalidParameter', input: 'params.validation.atlasLabels' },
  { name: 'a threshold of 0', build: (d) => netmapJob(d, { params: { threshold: 0 } }), error: 'InvalidJobSpec', input: /params\.threshold/ },
  { name: 'a seeds path escaping the job folder', build: (d) => netmapJob(d, { inputs: { seeds: '../seeds.csv' } }), error: 'UnsafeInputKey', input: '../seeds.csv' },
];

/** The subject file with volume `t` of its first run set to NaN. */
export function withNaNAt(bytes: Uint8Array, t: number): Uint8Array {
  const out = new Float32Array(Uint8Array.from(bytes).buffer);
  const V = connectomeMaskData().reduce((a, b) => a + b, 0);
  out.fill(NaN, t * V, (t + 1) * V);
  return new Uint8Array(out.buffer);
}

/** Bytes that start like a gzip member, padded to the expected length (a compressed file renamed .f32). */
function gzipLike(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  out.set([0x1f, 0x8b, 0x08, 0x00]);
  return out;
}

