/**
 * What every result folder holds beside a pipeline's own numbers, written in one place:
 * statistic maps with their NIfTI intent (t with its DOF, z, p) and the space codes of the
 * inputs, a JSON sidecar per map (what it is, units, contrast, thresholds), cluster tables as
 * CSV and as TSV with BIDS-style column names, the BIDS-derivatives dataset_description.json
 * and report.html built by the report library.
 */
import { RUN_STARTED_ENV } from '../../runtime/run-started.ts';
import { csvField } from '../../jobs/csv.ts';
import { encodeNifti, gzipNifti, NIFTI_INTENT, readNifti, readNiftiHeader, statIntent } from '../../nifti/index.ts';
import type { NiftiHeader, NiftiVolume, WriteDatatype } from '../../nifti/index.ts';
import { buildReport, DESCRIBED_PIPELINES, kindFromName, rememberVolume, stagesFromMetrics, storeSource, VERSION } from '../../report/index.ts';
import type { DescribeOptions, MapKind, ResultSource } from '../../report/index.ts';
import { readMetrics } from '../../runtime/task.ts';
import type { TaskEnv, TaskMetrics } from '../../runtime/task.ts';

/** What a map is: decides its intent code, its sidecar and how the report shows it. */
export interface MapInfo {
  kind: MapKind;
  /** one line, also the NIfTI descrip (cut to 79 characters there) */
  description: string;
  /** units of the values (default from the kind) */
  units?: string;
  /** degrees of freedom: required for a t map (intent p1) */
  dof?: number;
  /** numerator and denominator DOF of an F map (NIFTI_INTENT_FTEST, p1 and p2) */
  fDof?: [number, number];
  /** the contrast the map belongs to (`rows` for an F-contrast) */
  contrast?: { name: string; columns?: string[]; weights?: number[]; rows?: number[][] };
  /** thresholds that define the map or apply to it (e.g. { clusterFormingZ: 3.09, minClusterVoxels: 92 }) */
  thresholds?: Record<string, number | string | null>;
  /** anything else worth saying (permutations, kernel, …) */
  extra?: Record<string, unknown>;
}

/** Voxel grid of the maps a writer puts. */
export interface MapGrid {
  dims: number[];
  affine: ArrayLike<number>;
  pixdim?: number[];
}

const UNITS: Record<MapKind, string> = {
  t: 't statistic',
  z: 'z score',
  p: 'p value',
  oneMinusP: '1 - p',
  logp: '-log10 p',
  ale: 'activation likelihood (probability)',
  overlap: 'fraction of studies (signed)',
  tfce: 'TFCE score',
  value: 'arbitrary',
  reho: 'z score',
  cluster: 'z score (zero outside surviving clusters)',
  mask: 'binary',
};

/** The sidecar of a map: `maps/x.nii.gz` → `maps/x.json`. */
export const sidecarOf = (rel: string): string => rel.replace(/\.nii(\.gz)?$/, '') + '.json';

/** The JSON sidecar of a map (BIDS-derivatives style keys). */
export function sidecar(info: MapInfo): Record<string, unknown> {
  return {
    Description: info.description,
    MapType: info.kind,
    Units: info.units ?? UNITS[info.kind],
    ...(info.fDof ? { StatisticType: 'F' } : info.kind === 't' || info.kind === 'z' || info.kind === 'p' ? { StatisticType: info.kind } : {}),
    ...(info.fDof ? { DegreesOfFreedom: info.fDof } : info.dof !== undefined ? { DegreesOfFreedom: info.dof } : {}),
    ...(info.contrast
      ? { Contrast: { Name: info.contrast.name, ...(info.contrast.columns ? { Columns: info.contrast.columns } : {}), ...(info.contrast.weights ? { Weights: info.contrast.weights } : {}), ...(info.contrast.rows ? { Rows: info.contrast.rows } : {}) } }
      : {}),
    ...(info.thresholds ? { Thresholds: info.thresholds } : {}),
    ...(info.extra ?? {}),
    GeneratedBy: { Name: 'neuroburst', Version: VERSION },
  };
}

/** NIfTI intent of a map: F (with both DOF), t (with its DOF), z and p; none for the others. */
export function intentOf(info: MapInfo): ReturnType<typeof statIntent> | undefined {
  if (info.fDof) return { code: NIFTI_INTENT.FTEST, p1: info.fDof[0], p2: info.fDof[1], name: 'F' };
  if (info.kind === 't') return info.dof !== undefined && info.dof > 0 ? statIntent('t', info.dof) : undefined;
  if (info.kind === 'z') return statIntent('z');
  if (info.kind === 'p') return statIntent('p');
  return undefined;
}

/**
 * A file as the writer wrote it: its body (a map's .nii.gz bytes once compressed) and, for a
 * map while the writer's memory budget lasts, its header and values as a reader gets them back.
 */
export interface WrittenFile {
  body: Promise<Uint8Array | string>;
  /** the map's header and values, decoded from its uncompressed bytes when first asked for (only the maps the report reads are decoded) */
  volume?: () => NiftiVolume;
}

export interface OutputWriter {
  /** every file written or being written, relative to the results folder, in the order the writes were started */
  outputs: string[];
  put(rel: string, body: Uint8Array | string): Promise<void>;
  /**
   * A map (NIfTI with intent and the inputs' space codes) and its JSON sidecar. The image is
   * encoded before this returns; the gzip runs on libuv's thread pool and the promise settles
   * once both files are stored, so a caller may start several and go on (`settled()` waits).
   */
  putMap(rel: string, data: ArrayLike<number>, info: MapInfo, opts?: { datatype?: WriteDatatype; grid?: MapGrid }): Promise<void>;
  /**
   * A table as `<base>.csv` (columns as `columns[i][0]`) and `<base>.tsv` (BIDS-style names
   * `columns[i][1]`, "n/a" for empty cells).
   */
  putTable(base: string, columns: [csv: string, bids: string][], rows: unknown[][]): Promise<void>;
  /** every file written or being written, by relative path: the report reads them from here (maps without inflating them again), also before they are stored */
  written: ReadonlyMap<string, WrittenFile>;
  /** resolves when every write started so far is stored; rejects with the first failure */
  settled(): Promise<void>;
}

/** Memory the writer keeps maps in (their uncompressed bytes) for the report (beyond it, the report reads the stored files). */
const VOLUME_BUDGET_BYTES = 256 * 1024 * 1024;

/**
 * Writes result files under resultsDir and lists each one in `outputs`. `grid` is the maps'
 * voxel grid; `space` the header whose sform/qform codes the maps copy (default MNI, 4).
 * Writes may overlap: `outputs` keeps the order in which they were started.
 */
export function outputWriter(env: TaskEnv, resultsDir: string, opts: { grid?: MapGrid; space?: Pick<NiftiHeader, 'sformCode' | 'qformCode'> } = {}): OutputWriter {
  const outputs: string[] = [];
  const written = new Map<string, WrittenFile>();
  const pending: Promise<void>[] = [];
  let kept = 0;
  /** a write the caller may not await: its failure surfaces in settled() (and in its own promise), never as an unhandled rejection */
  const track = (p: Promise<void>): Promise<void> => {
    p.catch(() => undefined);
    pending.push(p);
    return p;
  };
  const store = (rel: string, body: Promise<Uint8Array | string>, volume?: () => NiftiVolume) => {
    outputs.push(rel);
    written.set(rel, { body, ...(volume ? { volume } : {}) });
    return (async () => env.store.put(`${resultsDir}/${rel}`, await body))();
  };
  const put = (rel: string, body: Uint8Array | string) => track(store(rel, Promise.resolve(body)));
  return {
    outputs,
    put,
    written,
    putMap(rel, data, info, o = {}) {
      const grid = o.grid ?? opts.grid;
      if (!grid) throw new Error(`outputWriter.putMap(${rel}): no grid given`);
      const intent = intentOf(info);
      const raw = encodeNifti(
        { dims: grid.dims, affine: Float64Array.from(grid.affine), ...(grid.pixdim ? { pixdim: grid.pixdim } : {}), data },
        { datatype: o.datatype ?? 'float32', description: info.description, ...(intent ? { intent } : {}), ...(opts.space ? { xformFrom: opts.space } : {}) },
      );
      // what a reader of the file gets (header and stored values), from the bytes before they are compressed: kept while the budget lasts, decoded once if the report asks
      let volume: (() => NiftiVolume) | undefined;
      if (kept + raw.length <= VOLUME_BUDGET_BYTES) {
        kept += raw.length;
        let decoded: NiftiVolume | undefined;
        volume = () => (decoded ??= readNifti(raw, rel));
      }
      const bytes = gzipNifti(raw);
      bytes.catch(() => undefined);
      return track(Promise.all([store(rel, bytes, volume), store(sidecarOf(rel), Promise.resolve(JSON.stringify(sidecar(info), null, 2) + '\n'))]).then(() => undefined));
    },
    putTable(base, columns, rows) {
      const csv = put(`${base}.csv`, [columns.map((c) => csvField(c[0])).join(','), ...rows.map((r) => r.map((x) => csvField(x as string | number)).join(','))].join('\n') + '\n');
      const tsvCell = (x: unknown) => (x === null || x === undefined || x === '' ? 'n/a' : String(x).replace(/[\t\n\r]/g, ' '));
      const tsv = put(`${base}.tsv`, [columns.map((c) => c[1]).join('\t'), ...rows.map((r) => r.map(tsvCell).join('\t'))].join('\n') + '\n');
      return Promise.all([csv, tsv]).then(() => undefined);
    },
    async settled() {
      // writes started while waiting are waited for too
      for (let done = 0; done < pending.length; ) {
        const batch = pending.slice(done);
        done = pending.length;
        await Promise.all(batch);
      }
    },
  };
}

/** A ResultSource over the results folder that serves an output writer's files from memory (maps with their decoded values), stored yet or not. */
export function writerSource(env: TaskEnv, resultsDir: string, files: string[], jobUri: string | undefined, written: ReadonlyMap<string, WrittenFile> | undefined): ResultSource {
  const base = storeSource(env.store, resultsDir, files, jobUri);
  if (!written?.size) return base;
  return {
    ...base,
    async read(rel) {
      const w = written.get(rel);
      if (!w) return base.read(rel);
      const body = await w.body.catch(() => undefined);
      if (body === undefined) return undefined;
      const b = typeof body === 'string' ? new TextEncoder().encode(body) : body;
      if (w.volume) rememberVolume(b, w.volume());
      return b;
    },
  };
}

/**
 * The JSON sidecar text of map `rel` from its NIfTI bytes: kind from the file name, description
 * from the header (else the file name), t DOF from a t intent.
 */
export function sidecarFromHeader(rel: string, nifti: Uint8Array): string {
  const h = readNiftiHeader(nifti, rel);
  const info: MapInfo = { kind: kindFromName(rel), description: h.description || rel.replace(/^maps\//, '') };
  if (h.intent?.code === NIFTI_INTENT.TTEST && h.intent.p1) info.dof = h.intent.p1;
  return JSON.stringify(sidecar(info), null, 2) + '\n';
}

/** Sidecars for maps written without one (by another stage), from their file name and header description. */
export async function missingSidecars(env: TaskEnv, resultsDir: string, files: string[]): Promise<string[]> {
  const have = new Set(files);
  const added: string[] = [];
  for (const rel of files) {
    if (!/(^|\/)maps\/.*\.nii(\.gz)?$/.test(rel) || have.has(sidecarOf(rel))) continue;
    const b = await env.store.get(`${resultsDir}/${rel}`).catch(() => undefined);
    if (!b) continue;
    await env.store.put(`${resultsDir}/${sidecarOf(rel)}`, sidecarFromHeader(rel, b));
    added.push(sidecarOf(rel));
  }
  return added;
}

/** The BIDS-derivatives dataset_description.json of a result folder. */
export function datasetDescription(job: Record<string, unknown>, pipeline: string): Record<string, unknown> {
  const inputs = (job.inputs ?? {}) as Record<string, unknown>;
  const sources = Object.entries(inputs).filter(([k, v]) => typeof v === 'string' && !/Column$/.test(k));
  return {
    Name: `neuroburst ${pipeline} results of job ${String(job.jobId ?? '')}`,
    BIDSVersion: '1.9.0',
    DatasetType: 'derivative',
    GeneratedBy: [{ Name: 'neuroburst', Version: VERSION, Description: `${pipeline} pipeline`, CodeURL: 'https://github.com/neuroburst/neuroburst' }],
    ...(sources.length ? { SourceDatasets: sources.map(([k, v]) => ({ URL: v as string, Description: `inputs.${k}` })) } : {}),
  };
}

/** Where an embedded step (reho's glm group step) leaves its report extras (nulls, design rows) beside its result record. */
export const reportExtrasKey = (resultKey: string): string => resultKey.replace(/\.json$/, '') + '.report-extras.json';

/** What the report needs beyond the result and its files. */
export interface ReportOptions {
  /** the job's URI (input checksums are computed from it) */
  jobUri?: string;
  /** the normalised job (default: the result folder's job.json) */
  job?: Record<string, unknown>;
  /** the work folder whose metrics give the cost per stage (default from the result's jobId and specHash) */
  workDir?: string;
  /** metrics of steps run elsewhere (an embedded step's) */
  extraMetrics?: TaskMetrics[];
  extras?: DescribeOptions['extras'];
  runSeconds?: number;
  /** the reducer's output writer: its maps are read from memory, and result.json waits for its writes */
  writer?: Pick<OutputWriter, 'written' | 'settled'>;
}

export { RUN_STARTED_ENV };

/**
 * When the job began, for the report's run time: the local runner's start (RUN_STARTED_ENV),
 * else the first worker's start (its metrics record; Validate's on AWS); undefined when neither is known.
 */
export function runStartMs(metrics: Pick<TaskMetrics, 'startedAt'>[], env: Record<string, string | undefined> = process.env): number | undefined {
  const runner = Date.parse(env[RUN_STARTED_ENV] ?? '');
  if (Number.isFinite(runner)) return runner;
  const starts = metrics.map((m) => Date.parse(m.startedAt)).filter(Number.isFinite);
  return starts.length ? Math.min(...starts) : undefined;
}

/** Build report.html (or `rel`) with the report library over the files written so far. */
export async function writeReport(env: TaskEnv, resultsDir: string, result: Record<string, unknown>, files: string[], o: ReportOptions = {}, rel = 'report.html'): Promise<void> {
  const job = o.job ?? (JSON.parse(await env.store.getText(`${resultsDir}/job.json`)) as Record<string, unknown>);
  const workDir = o.workDir ?? (typeof result.jobId === 'string' && typeof result.specHash === 'string' ? env.layout.work(result.jobId, result.specHash) : undefined);
  const metrics = [...(workDir ? await readMetrics(env.store, `${workDir}/metrics/`).catch(() => []) : []), ...(o.extraMetrics ?? [])];
  const start = runStartMs(metrics);
  const runSeconds = o.runSeconds ?? (start !== undefined ? Math.max(0, Math.round((Date.now() - start) / 100) / 10) : undefined);
  const html = await buildReport(result, writerSource(env, resultsDir, files, o.jobUri, o.writer?.written), {
    job,
    ...(metrics.length ? { stages: stagesFromMetrics(metrics) } : {}),
    ...(o.extras ? { extras: o.extras } : {}),
    ...(runSeconds !== undefined ? { runSeconds } : {}),
  });
  await env.store.put(`${resultsDir}/${rel}`, html);
}

/**
 * The end of every job: sidecars for maps that lack one, dataset_description.json,
 * report.html, then result.json last with the full outputs list. `outputs` is what the
 * reducer wrote (job.json first or not, result.json at the end or not: both are placed). A
 * pipeline the report library has no layout for gets the generic report unless it wrote its own.
 */
export async function finishOutputs<R extends { outputs: string[] }>(env: TaskEnv, resultsDir: string, result: R, outputs: string[], report: ReportOptions = {}): Promise<{ result: string }> {
  const files = outputs.filter((f) => f !== 'result.json' && f !== 'report.html' && f !== 'dataset_description.json' && f !== 'job.json');
  const job = report.job ?? (JSON.parse(await env.store.getText(`${resultsDir}/job.json`)) as Record<string, unknown>);
  const pipeline = String((result as Record<string, unknown>).pipeline ?? job.pipeline ?? 'unknown');
  files.push(...(await missingSidecars(env, resultsDir, files)));
  await env.store.put(`${resultsDir}/dataset_description.json`, JSON.stringify(datasetDescription(job, pipeline), null, 2) + '\n');
  const all = ['job.json', 'dataset_description.json', ...files];
  result.outputs = [...all, 'report.html', 'result.json'];
  // a pipeline without its own layout in the report library keeps the report.html it wrote (else the generic report)
  const ownReport = outputs.includes('report.html') && !DESCRIBED_PIPELINES.includes(pipeline);
  // the report is built while the writer's maps are still being compressed and stored; result.json waits for both
  await Promise.all([
    ownReport ? undefined : writeReport(env, resultsDir, result as unknown as Record<string, unknown>, all, { ...report, job }),
    report.writer?.settled(),
  ]);
  await env.store.put(`${resultsDir}/result.json`, JSON.stringify(result, null, 2) + '\n');
  return { result: `${resultsDir}/result.json` };
}
