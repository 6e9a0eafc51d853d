/**
 * From a pipeline's result (its result.json object) and where its files are, the plain report
 * description. One entry point for every pipeline: glm, reho, ale, netmap, transcriptomics by their own
 * describers, any other pipeline generically (maps by file name, CSV tables as they are).
 */
import pkg from '../../package.json' with { type: 'json' };
import { describeAleParts } from './ale.ts';
import type { AleExtras, AleResultLike } from './ale.ts';
import { describeCohortParts } from './cohort.ts';
import type { CohortResultLike } from './cohort.ts';
import { describeGlmParts } from './glm.ts';
import type { GlmExtras, GlmResultLike } from './glm.ts';
import { describeNetmapParts } from './netmap.ts';
import type { NetmapExtras, NetmapResultLike } from './netmap.ts';
import { kindFromName } from './kinds.ts';
import { describeRehoParts } from './reho.ts';
import { describeTranscriptomicsParts } from './transcriptomics.ts';
import type { TranscriptomicsResultLike } from './transcriptomics.ts';
import type { RehoExtras, RehoResultLike } from './reho.ts';
import { describeInputs, flattenParams, genericTable, readText, text } from './source.ts';
import type { ResultSource } from './source.ts';
import type { ReportDescription, ReportMap, ReportPlot, ReportSection, ReportTable, StageCost } from './types.ts';

export const VERSION: string = pkg.version;
export { kindFromName } from './kinds.ts';

/** Pipelines with their own report layout; any other is described generically. */
export const DESCRIBED_PIPELINES: readonly string[] = ['glm', 'ale', 'reho', 'netmap', 'transcriptomics'];

export interface DescribeOptions {
  /** the normalised job spec (job.json of the result folder); read from the source when absent */
  job?: Record<string, unknown>;
  /** the job as the user wrote it, to mark parameters left at their defaults */
  givenJob?: Record<string, unknown>;
  /** what a reducer has in memory beyond result.json: full null distributions, FD traces, design rows */
  extras?: { glm?: GlmExtras; ale?: AleExtras; reho?: RehoExtras; netmap?: NetmapExtras };
  runSeconds?: number;
  stages?: StageCost[];
  /** ISO time written in the header; omitted when absent (reports stay byte-identical across runs) */
  generatedAt?: string;
}

const safeId = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');

async function genericParts(src: ResultSource, r: Record<string, unknown>): Promise<{ maps: ReportMap[]; tables: ReportTable[]; plots: ReportPlot[]; summary: string[] }> {
  const maps: ReportMap[] = [];
  for (const rel of src.files.filter((f) => /^maps\/.*\.nii(\.gz)?$/.test(f)).slice(0, 24)) {
    const b = await src.read(rel);
    if (b) maps.push({ id: safeId(rel.replace(/^maps\//, '').replace(/\.nii(\.gz)?$/, '')), label: rel.replace(/^maps\//, ''), kind: kindFromName(rel), file: rel, nifti: b, mosaic: maps.length === 0 });
  }
  const tables: ReportTable[] = [];
  // a TSV twin of a CSV table (BIDS-style column names) is linked, not shown twice
  const twin = (f: string) => f.endsWith('.tsv') && src.files.includes(f.replace(/\.tsv$/, '.csv'));
  for (const rel of src.files.filter((f) => /^tables\/.*\.(csv|tsv)$/.test(f) && !twin(f))) {
    const s = await readText(src, rel);
    if (s) tables.push(genericTable(safeId(rel), rel.replace(/^tables\//, ''), rel, s, maps[0]?.id));
  }
  const summary = typeof r.summary === 'string' ? [r.summary] : [];
  return { maps, tables, plots: [], summary };
}

function stagesOf(r: Record<string, unknown>): StageCost[] {
  const shards = (r.shards ?? {}) as Record<string, number>;
  return Object.entries(shards).map(([stage, n]) => ({ stage, shards: n }));
}

/** The report description of one result. */
export async function describeResult(result: Record<string, unknown>, src: ResultSource, opts: DescribeOptions = {}): Promise<ReportDescription> {
  let job = opts.job;
  if (!job) {
    const s = await readText(src, 'job.json');
    if (s) job = JSON.parse(s) as Record<string, unknown>;
  }
  const pipeline = String(result.pipeline ?? job?.pipeline ?? 'unknown');
  const inputs = await describeInputs(job, src);
  const participantsRef = (job?.inputs as Record<string, unknown> | undefined)?.participants;
  let participants: string | undefined;
  if (typeof participantsRef === 'string' && src.readInput) {
    const b = await src.readInput(participantsRef).catch(() => undefined);
    if (b) participants = text(b);
  }
  const x = opts.extras ?? {};
  const parts =
    pipeline === 'glm'
      ? await describeGlmParts(result as unknown as GlmResultLike, src, x.glm, participants)
      : pipeline === 'ale'
        ? await describeAleParts(result as unknown as AleResultLike, src, x.ale, job)
        : pipeline === 'reho'
          ? await describeRehoParts(result as unknown as RehoResultLike, src, x.reho, job, participants)
          : pipeline === 'netmap'
            ? await describeNetmapParts(result as unknown as NetmapResultLike, src, x.netmap)
            : pipeline === 'transcriptomics'
              ? await describeTranscriptomicsParts(result as unknown as TranscriptomicsResultLike, src, job)
              : await genericParts(src, result);
  // glm's cohort outputs (Table 1, subgroup analyses, deviation maps), also in reho's group step
  const cohortOf = pipeline === 'glm' ? result : pipeline === 'reho' && result.group && typeof result.group === 'object' ? (result.group as Record<string, unknown>) : undefined;
  let sections: ReportSection[] = [];
  if (cohortOf) {
    const c = await describeCohortParts(cohortOf as unknown as CohortResultLike, src, participants);
    const first = c.tables.filter((t) => t.id === 'demographics');
    parts.tables = [...first, ...parts.tables, ...c.tables.filter((t) => !first.includes(t))];
    parts.maps.push(...c.maps);
    parts.plots.push(...c.plots);
    parts.summary.push(...c.summary);
    sections = c.sections;
  }
  const cost = (result.cost ?? undefined) as { estimatedUsd?: number; actualUsd?: number; lambdaGbSeconds?: number } | undefined;
  const warnings = Array.isArray(result.warnings) ? (result.warnings as unknown[]).map(String) : [];
  const partWarnings = 'warnings' in parts && Array.isArray(parts.warnings) ? (parts.warnings as string[]) : [];
  warnings.push(...partWarnings);
  // a layout that explains why it shows no map says so itself
  if (!parts.maps.length && !partWarnings.length) warnings.push('This result holds no map to show.');
  return {
    pipeline,
    jobId: String(result.jobId ?? job?.jobId ?? ''),
    // the job's own words; the job id and pipeline are in the header line beside it (no second parenthesis after the description's own)
    ...(typeof job?.description === 'string' && job.description.trim() ? { title: job.description.trim() } : {}),
    summary: parts.summary,
    inputs,
    parameters: flattenParams(job, opts.givenJob),
    ...(typeof job?.seed === 'number' ? { seed: job.seed } : {}),
    version: VERSION,
    ...(opts.generatedAt ? { generatedAt: opts.generatedAt } : {}),
    ...(opts.runSeconds !== undefined ? { runSeconds: opts.runSeconds } : {}),
    ...(cost ? { cost: { estimatedUsd: cost.estimatedUsd, actualUsd: cost.actualUsd, lambdaGbSeconds: cost.lambdaGbSeconds, stages: opts.stages ?? stagesOf(result) } } : {}),
    maps: parts.maps,
    tables: parts.tables,
    plots: parts.plots,
    ...(sections.length ? { sections } : {}),
    methods: typeof result.methods === 'string' ? result.methods : '',
    warnings,
    files: [...new Set([...src.files, 'report.html'])].sort(),
  };
}
