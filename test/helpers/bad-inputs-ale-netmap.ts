/**
 * Small synthetic inputs for the ALE and netmap bad-input corpus: a tiny isotropic mask and
 * Sleuth text for ALE; a tiny normative connectome (the demo generator on its 6 mm grid, few
 * subjects, short runs) and seeds tables for netmap. Every builder writes into a given folder.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNifti } from '../../shared/nifti/index.ts';
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
