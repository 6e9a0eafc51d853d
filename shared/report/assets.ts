/** The report's bundled data (viewer script, background template), read once from assets/. */
import { readFile } from 'node:fs/promises';
import { assetPath } from '../assets.ts';
import type { ReportAssets } from './html.ts';

export const TEMPLATE_FILE = 'templates/mni_icbm152_2009c_t1_brain_2mm_derived.nii.gz';
export const TEMPLATE_NOTE = 'ICBM 2009c nonlinear asymmetric T1 template, brain-extracted, 2 mm (Fonov et al. 2009, 2011)';
export const VIEWER_FILE = 'viewer/niivue-viewer.min.js';

let cached: Promise<ReportAssets> | undefined;

export function loadReportAssets(): Promise<ReportAssets> {
  cached ??= (async () => ({
    template: new Uint8Array(await readFile(assetPath(TEMPLATE_FILE))),
    templateName: 'ICBM 2009c (2 mm)',
    viewerJs: await readFile(assetPath(VIEWER_FILE), 'utf8'),
  }))();
  return cached;
}
