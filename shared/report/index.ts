/**
 * Reports of results.
 *
 * In a reducer, after every map and table is written and before result.json:
 *
 *   await put('report.html', await buildReport(result, storeSource(env.store, resultsDir, ['job.json', ...outputs], ctx.jobUri), { job: ctx.job }));
 *
 * `result` is the object about to be written as result.json (its `pipeline` picks the
 * describer: glm, reho, ale, netmap; anything else is described generically from maps/ and
 * tables/). Optional `extras` add what result.json lacks: full null distributions
 * (`extras.glm.nulls[contrast][statistic]`, `extras.ale.nulls.{maxAle,maxSize,maxMass}`,
 * `extras.netmap.nulls[statistic]`), design rows (`extras.glm.design[contrast]`) and FD
 * traces (`extras.reho.fd[subject]`); `runSeconds`, `stages` (cost per stage) and
 * `generatedAt` go to the summary (`stages: stagesFromMetrics(metrics)` gives the cost per stage).
 *
 * From a result folder: `describeResultFolder(dir, { inputsDir })` then `renderReportHtml`
 * (what `neuroburst report DIR` does).
 */
import { loadReportAssets, TEMPLATE_NOTE } from './assets.ts';
import { describeResult } from './describe.ts';
import type { DescribeOptions } from './describe.ts';
import { renderReport } from './html.ts';
import type { ResultSource } from './source.ts';
import type { ReportDescription } from './types.ts';

export { describeResult, DESCRIBED_PIPELINES, kindFromName, VERSION, type DescribeOptions } from './describe.ts';
export { describeResultFolder, folderSource, NotAResultFolder, type FolderOptions } from './folder.ts';
export { renderReport, type ReportAssets } from './html.ts';
export { loadReportAssets } from './assets.ts';
export { niftiOf, rememberVolume, storeSource, type ResultSource } from './source.ts';
export { stagesFromMetrics } from './stages.ts';
export type * from './types.ts';
export type { GlmExtras } from './glm.ts';
export type { AleExtras } from './ale.ts';
export type { RehoExtras } from './reho.ts';
export type { NetmapExtras } from './netmap.ts';

/** The HTML of a description, with the bundled viewer and template. */
export async function renderReportHtml(desc: ReportDescription): Promise<string> {
  return renderReport({ templateNote: TEMPLATE_NOTE, ...desc }, await loadReportAssets());
}

/** Describe a result and render its report.html in one call (what a reducer calls). */
export async function buildReport(result: Record<string, unknown>, source: ResultSource, opts: DescribeOptions = {}): Promise<string> {
  return renderReportHtml(await describeResult(result, source, opts));
}
