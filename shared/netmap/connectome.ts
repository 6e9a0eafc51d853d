/**
 * The normative connectome as neuroburst stores it: a folder (or S3 prefix) with
 * `connectome.json` and one file per subject.
 *
 *   connectome.json = { format: "neuroburst-connectome-1", name, grid: { dims, affine, pixdim },
 *                       mask: "mask.nii.gz", voxels: V,
 *                       subjects: [{ id, file: "subjects/<id>.f32", runs: [T₁, T₂, …] }] }
 *
 * A subject file holds its runs one after another, each T × V little-endian float32,
 * time-major (voxel fastest) over the V voxels of the mask in NIfTI order, each voxel's
 * series demeaned. `packRun` turns a 4-D series into that layout; `neuroburst connectome
 * pack` does it for a whole cohort of preprocessed resting-state runs, streaming subject by
 * subject through {@link ConnectomeWriter}.
 */
import { z } from 'zod';
import { InvalidConnectome, InvalidParameter } from '../errors.ts';

export const CONNECTOME_FORMAT = 'neuroburst-connectome-1';

export const connectomeManifestSchema = z
  .object({
    format: z.literal(CONNECTOME_FORMAT),
    name: z.string().min(1),
    grid: z
      .object({
        dims: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
        affine: z.array(z.number()).length(16),
        pixdim: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
      })
      .strict(),
    mask: z.string().min(1),
    voxels: z.number().int().positive(),
    subjects: z
      .array(
        z
          .object({
            id: z.string().min(1),
            file: z.string().min(1),
            runs: z.array(z.number().int().min(3)).min(1),
          })
          .strict(),
      )
      .min(2),
    description: z.string().optional(),
  })
  .strict();

export type ConnectomeManifest = z.infer<typeof connectomeManifestSchema>;

/**
 * Demeaned, time-major float32 series of the in-mask voxels of one 4-D run
 * (data x fastest, then y, z, t; nVox voxels per volume).
 */
export function packRun(data: Float32Array, nVox: number, T: number, mask: Uint8Array): Float32Array {
  if (data.length !== nVox * T) throw new InvalidParameter(`4-D data hold ${data.length} values; expected ${nVox} × ${T}`);
  if (mask.length !== nVox) throw new InvalidParameter(`mask has ${mask.length} voxels; volumes have ${nVox}`);
  const index: number[] = [];
  for (let g = 0; g < nVox; g++) if (mask[g]) index.push(g);
  const V = index.length;
  const out = new Float32Array(T * V);
  for (let q = 0; q < V; q++) {
    const g = index[q]!;
    let mean = 0;
    for (let t = 0; t < T; t++) mean += data[t * nVox + g]!;
    mean /= T;
    for (let t = 0; t < T; t++) {
      const x = data[t * nVox + g]!;
      if (!Number.isFinite(x)) throw new InvalidParameter(`non-finite value at voxel ${g}, volume ${t} inside the connectome mask`);
      out[t * V + q] = x - mean;
    }
  }
  return out;
}

/** Bytes a subject file of these runs over V voxels must hold. */
export function subjectBytes(runs: readonly number[], V: number): number {
  return runs.reduce((a, T) => a + T * V, 0) * 4;
}

/** `InvalidConnectome` (input: the file) unless a subject file holds exactly its runs × V float32 values. */
export function assertSubjectSize(size: number, runs: readonly number[], V: number, source: string, input = source): void {
  const need = subjectBytes(runs, V);
  if (size !== need) {
    throw new InvalidConnectome(`${source} holds ${size} bytes; the manifest's runs [${runs.join(', ')}] × ${V} voxels need ${need} (float32, little-endian)${size < need ? ': the file is truncated' : ''}`, input);
  }
}

/** How many values are NaN or ±Infinity. */
export function countNonFinite(values: Float32Array): number {
  // x · 0 is ±0 for every finite x and NaN for NaN and ±Infinity: a branch-free pass (four
  // independent sums) finds whether any value is bad; only then are they counted
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  const len = values.length;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    p0 += values[i]! * 0;
    p1 += values[i + 1]! * 0;
    p2 += values[i + 2]! * 0;
    p3 += values[i + 3]! * 0;
  }
  for (; i < len; i++) p0 += values[i]! * 0;
  if (p0 + p1 + p2 + p3 === 0) return 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) n++;
  return n;
}

export function nonFiniteMessage(source: string, bad: number, of: number, where = ''): string {
  return bad === of
    ? `${source} holds no finite value${where} (all ${of} are NaN or infinite); a connectome subject's series must be finite (neuroburst connectome pack refuses them)`
    : `${source} holds ${bad} non-finite value(s) (NaN or infinite)${where} of ${of}; a connectome subject's series must be finite (neuroburst connectome pack refuses them)`;
}

/**
 * Split a subject file into its runs: `InvalidConnectome` naming the file when its size is not
 * the manifest's runs × V float32 values or any value is NaN or infinite.
 */
export function subjectRuns(bytes: Uint8Array, runs: readonly number[], V: number, source: string, input = source): { data: Float32Array; T: number }[] {
  const total = runs.reduce((a, T) => a + T * V, 0);
  assertSubjectSize(bytes.byteLength, runs, V, source, input);
  // the file's bytes are little-endian float32: viewed in place when aligned, else copied
  let all: Float32Array;
  if (bytes.byteOffset % 4 === 0) all = new Float32Array(bytes.buffer, bytes.byteOffset, total);
  else {
    all = new Float32Array(total);
    new Uint8Array(all.buffer).set(bytes);
  }
  const bad = countNonFinite(all);
  if (bad > 0) throw new InvalidConnectome(nonFiniteMessage(source, bad, all.length), input);
  const out: { data: Float32Array; T: number }[] = [];
  let off = 0;
  for (const T of runs) {
    out.push({ data: all.subarray(off, off + T * V), T });
    off += T * V;
  }
  return out;
}

type PutStore = { put(key: string, body: Uint8Array | string): Promise<void> };

/**
 * Write one subject's file (runs concatenated, each T × V float32) through a store. Only
 * this subject's runs are held, so writing a cohort subject by subject keeps memory flat.
 */
export async function writeSubject(store: PutStore, prefix: string, subj: ConnectomeManifest['subjects'][number], runs: readonly Float32Array[], V: number): Promise<void> {
  if (runs.length !== subj.runs.length) throw new InvalidParameter(`subject ${subj.id}: ${runs.length} runs given, the manifest lists ${subj.runs.length}`);
  const total = runs.reduce((a, r) => a + r.length, 0);
  const all = new Float32Array(total);
  let off = 0;
  runs.forEach((r, i) => {
    if (r.length !== subj.runs[i]! * V) throw new InvalidParameter(`subject ${subj.id} run ${i + 1}: ${r.length} values; expected ${subj.runs[i]} × ${V}`);
    all.set(r, off);
    off += r.length;
  });
  await store.put(prefix ? `${prefix}/${subj.file}` : subj.file, new Uint8Array(all.buffer));
}

/**
 * Streaming writer: the mask first, then each subject as it is packed, connectome.json last
 * (so a reader never sees a manifest whose subject files are missing). Memory does not
 * grow with the number of subjects: only the manifest entries are kept.
 */
export class ConnectomeWriter {
  private readonly subjects: ConnectomeManifest['subjects'] = [];
  private readonly ids = new Set<string>();
  constructor(
    private readonly store: PutStore,
    private readonly prefix: string,
    private readonly V: number,
  ) {}

  async writeMask(maskName: string, maskNifti: Uint8Array): Promise<void> {
    await this.store.put(this.prefix ? `${this.prefix}/${maskName}` : maskName, maskNifti);
  }

  /** Write subject `id`'s runs (each T × V, as packRun returns) to `subjects/<id>.f32`. */
  async addSubject(id: string, runs: readonly Float32Array[]): Promise<void> {
    if (this.ids.has(id)) throw new InvalidParameter(`subject ${id} is written twice`, id);
    const lengths = runs.map((r, i) => {
      const T = r.length / this.V;
      if (!Number.isInteger(T) || T < 3) throw new InvalidParameter(`subject ${id} run ${i + 1}: ${r.length} values is not T × ${this.V} with T ≥ 3`, id);
      return T;
    });
    const entry = { id, file: `subjects/${id}.f32`, runs: lengths };
    await writeSubject(this.store, this.prefix, entry, runs, this.V);
    this.ids.add(id);
    this.subjects.push(entry);
  }

  get count(): number {
    return this.subjects.length;
  }

  /** Write connectome.json with the subjects added so far (validated by the manifest schema). */
  async finish(manifest: Omit<ConnectomeManifest, 'subjects' | 'voxels'>): Promise<ConnectomeManifest> {
    const parsed = connectomeManifestSchema.safeParse({ ...manifest, voxels: this.V, subjects: this.subjects });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new InvalidParameter(`connectome manifest: ${issue.path.join('.') || 'manifest'}: ${issue.message}`, 'connectome.json');
    }
    const full = parsed.data;
    await this.store.put(this.prefix ? `${this.prefix}/connectome.json` : 'connectome.json', JSON.stringify(full, null, 2) + '\n');
    return full;
  }
}

/**
 * Write a connectome in this format through a store (local folder or S3 prefix):
 * the mask NIfTI, one file per subject (runs concatenated, `runsOf(s)` called for one
 * subject at a time), connectome.json last.
 */
export async function writeConnectome(
  store: PutStore,
  prefix: string,
  manifest: ConnectomeManifest,
  maskNifti: Uint8Array,
  runsOf: (subject: number) => Float32Array[],
): Promise<void> {
  const at = (rel: string) => (prefix ? `${prefix}/${rel}` : rel);
  await store.put(at(manifest.mask), maskNifti);
  for (const [s, subj] of manifest.subjects.entries()) await writeSubject(store, prefix, subj, runsOf(s), manifest.voxels);
  await store.put(at('connectome.json'), JSON.stringify(manifest, null, 2) + '\n');
}
