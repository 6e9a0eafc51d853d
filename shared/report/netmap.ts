/** Report description of a netmap result: per-study networks, their overlap, specificity and DBS maps. */
import { genericTable, readText } from './source.ts';
import type { ResultSource } from './source.ts';
import type { ReportMap, ReportPlot, ReportTable } from './types.ts';

export interface NetmapResultLike {
  connectome: { name: string; subjects: number; voxels: number };
  threshold: number;
  dof: number;
  studies: { study: string; set: string; coordinates: number; seedVoxels: number; maxT: number; minT: number; peakMni: [number, number, number]; troughMni: [number, number, number]; positiveVoxels: number; negativeVoxels: number }[];
  overlap: { studies: number; maxPositive: number; maxNegative: number; voxelsAllPositive: number; voxelsAllNegative: number };
  specificity?: { map: string; studies: number; controls: number; permutations: number; statistics: string[]; nullQuantiles: Record<string, { q95: number; q99: number }>; minFweP: Record<string, number>; voxelsFwe05: Record<string, number>; voxelsFdr05: number };
  validation?: { peaks: { value: number; mni: [number, number, number]; label: string }[]; reference?: { overlap: number; studies: Record<string, number> } };
  dbs?: { patients: number; correlationWithOverlap: number };
}

export interface NetmapExtras {
  nulls?: Record<string, ArrayLike<number>>;
}

export async function describeNetmapParts(r: NetmapResultLike, src: ResultSource, extras: NetmapExtras = {}): Promise<{ maps: ReportMap[]; tables: ReportTable[]; plots: ReportPlot[]; summary: string[] }> {
  const maps: ReportMap[] = [];
  const has = (rel: string) => src.files.includes(rel);
  const add = async (rel: string, m: Omit<ReportMap, 'nifti' | 'file'>) => {
    if (!has(rel)) return;
    const b = await src.read(rel);
    if (b) maps.push({ ...m, file: rel, nifti: b });
  };
  const T = r.threshold;
  const summary = [
    `${r.overlap.studies} studies' networks overlap in up to ${Math.round(100 * r.overlap.maxPositive)}% (positive) and ${Math.round(100 * r.overlap.maxNegative)}% (negative) of studies; ${r.overlap.voxelsAllPositive} voxels are positive and ${r.overlap.voxelsAllNegative} negative in every study (|t| > ${T}).`,
    `Normative connectome "${r.connectome.name}": ${r.connectome.subjects} subjects, ${r.connectome.voxels} voxels; one-sample t with ${r.dof} DOF.`,
  ];
  if (r.validation?.peaks[0]) summary.push(`Strongest overlap peak at MNI (${r.validation.peaks[0].mni.join(', ')})${r.validation.peaks[0].label ? `, ${r.validation.peaks[0].label}` : ''}.`);
  if (r.specificity) {
    const s = r.specificity;
    summary.push(`Specificity vs ${s.controls} control studies (${s.permutations} permutations): smallest FWE p ${Object.entries(s.minFweP).map(([k, v]) => `${k} ${v.toPrecision(3)}`).join(', ')}; ${s.voxelsFdr05} voxels with FDR q ≤ 0.05.`);
  }
  if (r.dbs) summary.push(`DBS network of ${r.dbs.patients} patients; spatial correlation with the overlap r = ${r.dbs.correlationWithOverlap}.`);
  await add('maps/overlap.nii.gz', { id: 'overlap', label: 'network overlap (positive − negative fraction)', kind: 'overlap', threshold: 0.5, mosaic: true, legend: `signed fraction of the ${r.overlap.studies} studies with t > ${T} (warm) or t < −${T} (cool)` });
  for (const s of r.studies) await add(`maps/${s.study}_t.nii.gz`, { id: `${s.study}_t`, label: `${s.study}: network t`, kind: 't', threshold: T, legend: `one-sample t of Fisher z, shown at |t| > ${T}` });
  await add('maps/overlap_positive.nii.gz', { id: 'overlap_positive', label: 'overlap (positive)', kind: 'overlap', threshold: 0.5 });
  await add('maps/overlap_negative.nii.gz', { id: 'overlap_negative', label: 'overlap (negative)', kind: 'overlap', threshold: 0.5 });
  if (r.specificity) {
    await add('maps/specificity_t.nii.gz', { id: 'specificity_t', label: 'specificity: studies − controls t', kind: 't', threshold: 3, mosaic: true });
    for (const stat of r.specificity.statistics) await add(`maps/specificity_${stat}_fwep.nii.gz`, { id: `specificity_${stat}_fwep`, label: `specificity: 1 − FWE p (${stat})`, kind: 'oneMinusP' });
  }
  await add('maps/dbs_network.nii.gz', { id: 'dbs_network', label: 'DBS outcome-weighted network', kind: 'reho', mosaic: true });
  await add('maps/convergent.nii.gz', { id: 'convergent', label: 'convergent map', kind: 'reho' });
  const tables: ReportTable[] = [
    {
      id: 'studies',
      title: 'Studies',
      file: has('tables/studies.csv') ? 'tables/studies.csv' : undefined,
      note: 'Click a row to show that study’s network at its peak.',
      columns: ['study', 'set', 'coordinates', 'seed voxels', 'max t', 'peak x', 'peak y', 'peak z', 'min t', `voxels t > ${T}`, `voxels t < −${T}`],
      rows: r.studies.map((s) => ({ cells: [s.study, s.set, s.coordinates, s.seedVoxels, s.maxT, ...s.peakMni, s.minT, s.positiveVoxels, s.negativeVoxels], peakMm: s.peakMni, map: `${s.study}_t` })),
    },
  ];
  const peaks = has('tables/overlap_peaks.csv') ? await readText(src, 'tables/overlap_peaks.csv') : undefined;
  if (peaks) tables.push(genericTable('overlap_peaks', 'Overlap peaks', 'tables/overlap_peaks.csv', peaks, 'overlap'));
  const plots: ReportPlot[] = [
    { type: 'bars', id: 'coordinates', title: 'Coordinates per study', yLabel: 'coordinates', bars: r.studies.map((s) => ({ label: s.study, value: s.coordinates, highlight: s.set === 'control' })) },
    { type: 'bars', id: 'network_size', title: `Network size per study (voxels with |t| > ${T})`, yLabel: 'voxels', bars: r.studies.map((s) => ({ label: s.study, value: s.positiveVoxels + s.negativeVoxels, highlight: s.set === 'control' })) },
  ];
  if (r.specificity) {
    for (const [stat, q] of Object.entries(r.specificity.nullQuantiles)) {
      plots.push({ type: 'null', id: `null_${stat}`, title: `Specificity: permutation null of ${stat}`, xLabel: stat, ...(extras.nulls?.[stat] ? { values: extras.nulls[stat] } : {}), thresholds: [{ label: '95th', value: q.q95 }, { label: '99th', value: q.q99 }] });
    }
  }
  return { maps, tables, plots, summary };
}
