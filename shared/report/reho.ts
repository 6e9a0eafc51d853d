/** Report description of a reho result: motion QC, subject maps and the group GLM when run. */
import { parseConfounds } from '../reho/confounds.ts';
import { powerFd } from '../reho/motion.ts';
import { describeGlmParts } from './glm.ts';
import type { GlmExtras, GlmResultLike } from './glm.ts';
import { parseDelimited, text } from './source.ts';
import type { ResultSource } from './source.ts';
import type { ReportMap, ReportPlot, ReportTable } from './types.ts';

export interface RehoResultLike {
  settings: { fdThreshold: number; dropVolumes: number; smoothFwhmMm: number };
  subjects: { id: string; group: string; excluded: boolean; reasons: string[]; volumesUsed: number; qc: { meanFd: number; maxFd: number; spikes: number; maxTranslationMm: number; maxRotationDeg: number } | null; reho?: { mean: number } }[];
  excluded: { id: string; reasons: string[] }[];
  group: GlmResultLike | null;
}

export interface RehoExtras {
  /** framewise displacement per volume and subject */
  fd?: Record<string, number[]>;
  group?: GlmExtras;
}

/** FD traces from the participants table's confounds files (when readable): Power FD of the six motion parameters. */
async function fdFromInputs(job: Record<string, unknown> | undefined, src: ResultSource, ids: string[]): Promise<Record<string, number[]> | undefined> {
  const inputs = (job?.inputs ?? {}) as Record<string, string>;
  if (!src.readInput || typeof inputs.participants !== 'string') return undefined;
  const t = await src.readInput(inputs.participants).catch(() => undefined);
  if (!t) return undefined;
  const { header, rows } = parseDelimited(text(t));
  const ci = header.indexOf(inputs.confoundsColumn ?? 'confounds');
  const ii = header.indexOf('participant_id');
  if (ci < 0 || ii < 0) return undefined;
  const radius = Number((job?.params as Record<string, unknown> | undefined)?.fdRadiusMm ?? 50);
  const out: Record<string, number[]> = {};
  for (const r of rows) {
    if (!ids.includes(r[ii]!) || !r[ci]) continue;
    // confounds paths are relative to the participants table, which sits beside job.json
    const b = await src.readInput(r[ci]!).catch(() => undefined);
    if (!b) continue;
    try {
      const c = parseConfounds(text(b), r[ci]!);
      out[r[ii]!] = Array.from(powerFd(c.rp, c.T, radius));
    } catch {
      /* an unreadable confounds file leaves that subject's trace out */
    }
  }
  return Object.keys(out).length ? out : undefined;
}

export async function describeRehoParts(r: RehoResultLike, src: ResultSource, extras: RehoExtras = {}, job?: Record<string, unknown>, participants?: string): Promise<{ maps: ReportMap[]; tables: ReportTable[]; plots: ReportPlot[]; summary: string[] }> {
  const maps: ReportMap[] = [];
  const tables: ReportTable[] = [];
  const plots: ReportPlot[] = [];
  const included = r.subjects.filter((s) => !s.excluded);
  const summary = [
    `${included.length} of ${r.subjects.length} subject(s) analysed; ${r.excluded.length} excluded for motion${r.excluded.length ? ` (${r.excluded.map((e) => e.id).join(', ')})` : ''}.`,
  ];
  let group: Awaited<ReturnType<typeof describeGlmParts>> | undefined;
  if (r.group) {
    group = await describeGlmParts(r.group, src, extras.group, participants, '');
    summary.unshift(...group.summary);
  }
  const subjectMaps = src.files.filter((f) => /_szreho\.nii\.gz$/.test(f));
  for (const [i, rel] of subjectMaps.slice(0, 6).entries()) {
    const b = await src.read(rel);
    const sid = rel.replace(/^maps\//, '').replace(/_szreho\.nii\.gz$/, '');
    if (b) maps.push({ id: `subj_${i}`, label: `${sid}: szReHo`, kind: 'reho', file: rel, nifti: b, threshold: 1, mosaic: !r.group && i === 0, legend: 'smoothed z-scored ReHo (szReHo), shown at |z| ≥ 1' });
  }
  if (group) maps.unshift(...group.maps);
  tables.push({
    id: 'qc',
    title: 'Motion QC per subject',
    file: src.files.includes('tables/qc_motion.csv') ? 'tables/qc_motion.csv' : undefined,
    note: `Marked ✓: included. FD is Power's framewise displacement; volumes with FD > ${r.settings.fdThreshold} mm count as spikes.`,
    survivorLabel: 'included',
    columns: ['participant', 'group', 'volumes', 'mean FD (mm)', 'max FD (mm)', 'spikes', 'max translation (mm)', 'max rotation (°)', 'mean ReHo', 'exclusion reason'],
    rows: r.subjects.map((s) => ({
      cells: [s.id, s.group, s.volumesUsed, s.qc ? Number(s.qc.meanFd.toFixed(3)) : '', s.qc ? Number(s.qc.maxFd.toFixed(3)) : '', s.qc?.spikes ?? '', s.qc ? Number(s.qc.maxTranslationMm.toFixed(3)) : '', s.qc ? Number(s.qc.maxRotationDeg.toFixed(3)) : '', s.reho ? Number(s.reho.mean.toFixed(4)) : '', s.reasons.join('; ')],
      survives: !s.excluded,
    })),
  });
  if (group) tables.push(...group.tables);
  const withQc = r.subjects.filter((s) => s.qc);
  if (withQc.length) {
    plots.push({ type: 'bars', id: 'mean_fd', title: 'Mean framewise displacement per subject (excluded highlighted)', yLabel: 'mean FD (mm)', bars: withQc.map((s) => ({ label: s.id, value: Number(s.qc!.meanFd.toFixed(4)), highlight: s.excluded })) });
    const fd = extras.fd ?? (await fdFromInputs(job, src, withQc.map((s) => s.id)));
    if (fd) {
      plots.push({
        type: 'traces',
        id: 'fd_traces',
        title: 'Framewise displacement per volume',
        xLabel: 'volume',
        yLabel: 'FD (mm)',
        series: withQc.filter((s) => fd[s.id]).map((s) => ({ label: s.id, values: fd[s.id]!, excluded: s.excluded })),
        thresholds: [{ label: 'spike FD', value: r.settings.fdThreshold }],
        note: 'Excluded subjects in red; traces from the confounds files as given (before dropping volumes).',
      });
    }
  }
  if (group) plots.push(...group.plots);
  return { maps, tables, plots, summary };
}
