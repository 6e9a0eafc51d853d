/**
 * Reports of results: `buildReport(result, source, opts)` is the one call a reducer makes
 * (returns the report.html text); `describeResultFolder` + `renderReport` regenerate one from
 * a result folder (`neuroburst report DIR`).
 */
import { loadReportAssets, TEMPLATE_NOTE } from './assets.ts';
import { describeResult } from './describe.ts';
import type { DescribeOptions } from './describe.ts';
import { renderReport } from './html.ts';
import type { ResultSource } from './source.ts';
import type { ReportDescription } from './types.ts';

export { describeResult, kindFromName, VERSION, type DescribeOptions } from './describe.ts';
export { describeResultFolder, folderSource, NotAResultFolder, type FolderOptions } from './folder.ts';
export { renderReport, type ReportAssets } from './html.ts';
export { loadReportAssets } from './assets.ts';
export { storeSource, type ResultSource } from './source.ts';
export type * from './types.ts';

/** The HTML of a description, with the bundled viewer and template. */
export async function renderReportHtml(desc: ReportDescription): Promise<string> {
  return renderReport({ templateNote: TEMPLATE_NOTE, ...desc }, await loadReportAssets());
}

/** Describe a result and render its report.html in one call (what a reducer calls). */
export async function buildReport(result: Record<string, unknown>, source: ResultSource, opts: DescribeOptions = {}): Promise<string> {
  return renderReportHtml(await describeResult(result, source, opts));
}
