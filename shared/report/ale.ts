/** Report description of an ale result. */
import { parseDelimited } from './source.ts';
import type { ResultSource } from './source.ts';
import type { ReportMap, ReportPlot, ReportTable } from './types.ts';

export interface AleResultLike {
  nExperiments: number;
  nFoci: number;
  nSubjects: number;
  maxAle: number;
  maxAleMni: [number, number, number];
  clusterFormingP: number;
  clusterFormingAle: number;
  iterations: number;
  cfwe: Record<string, number | null>;
  clusters: { voxels: number; volumeMm3: number; peakAle: number; peakMni: [number, number, number]; mass: number; pFweSize: number; pFweMass: number; label: string; contributions: Record<string, number> }[];
}

export interface AleExtras {
  /** Monte-Carlo null values: maxima of ALE, cluster size and cluster mass per iteration */
  nulls?: { maxAle?: ArrayLike<number>; maxSize?: ArrayLike<number>; maxMass?: ArrayLike<number> };
  /** foci per experiment */
  foci?: Record<string, number>;
}

/** Foci per experiment from a NiMARE-style dataset JSON (studies → contrasts → coords.x) or a CSV with an id column. */
export function fociPerExperiment(bytes: Uint8Array): Record<string, number> | undefined {
  const s = new TextDecoder().decode(bytes);
  try {
    const d = JSON.parse(s) as Record<string, { contrasts?: Record<string, { coords?: { x?: unknown[] } }> }>;
    const out: Record<string, number> = {};
    for (const [study, v] of Object.entries(d)) for (const [c, x] of Object.entries(v.contrasts ?? {})) out[`${study}-${c}`] = x.coords?.x?.length ?? 0;
    return Object.keys(out).length ? out : undefined;
  } catch {
    const { header, rows } = parseDelimited(s);
    const id = ['experiment', 'study', 'id', 'study_id'].map((h) => header.indexOf(h)).find((i) => i >= 0);
    if (id === undefined) return undefined;
    const out: Record<string, number> = {};
    for (const r of rows) out[r[id]!] = (out[r[id]!] ?? 0) + 1;
    return out;
  }
}

export async function describeAleParts(r: AleResultLike, src: ResultSource, extras: AleExtras = {}, job?: Record<string, unknown>): Promise<{ maps: ReportMap[]; tables: ReportTable[]; plots: ReportPlot[]; summary: string[] }> {
  const maps: ReportMap[] = [];
  const has = (rel: string) => src.files.includes(rel);
  const add = async (rel: string, m: Omit<ReportMap, 'nifti' | 'file'>) => {
    if (!has(rel)) return;
    const b = await src.read(rel);
    if (b) maps.push({ ...m, file: rel, nifti: b });
  };
  const alphas = Object.keys(r.cfwe).sort((a, b) => Number(b) - Number(a));
  const primary = alphas.find((a) => r.cfwe[a] !== null) ?? alphas[0] ?? '0.05';
  const alpha = Number(primary);
  const survivors = r.clusters.filter((k) => k.pFweSize < alpha);
  const summary = [
    `${survivors.length} of ${r.clusters.length} cluster(s) survive cluster-level FWE p < ${primary} (cluster-forming p < ${r.clusterFormingP}, ${r.iterations} Monte-Carlo iterations)${survivors[0] ? `; largest ${survivors[0].voxels} voxels peaking at MNI (${survivors[0].peakMni.join(', ')})` : ''}.`,
    `${r.nExperiments} experiments, ${r.nFoci} foci, ${r.nSubjects} subjects; maximum ALE ${r.maxAle.toPrecision(4)} at MNI (${r.maxAleMni.join(', ')}).`,
  ];
  for (const a of alphas) {
    await add(`maps/cfwe_${a}_z.nii.gz`, { id: `cfwe_${a}_z`, label: `z in clusters with FWE p < ${a}`, kind: 'cluster', mosaic: a === primary, legend: r.cfwe[a] === null ? `${r.iterations} iterations cannot resolve α ${a}` : `clusters ≥ ${r.cfwe[a]} voxels` });
  }
  await add('maps/ale.nii.gz', { id: 'ale', label: 'ALE', kind: 'ale', threshold: r.clusterFormingAle, mosaic: survivors.length === 0, legend: `ALE, shown at the cluster-forming value ${r.clusterFormingAle.toPrecision(3)}` });
  await add('maps/z.nii.gz', { id: 'z', label: 'ALE z (uncorrected)', kind: 'z', threshold: 3.09 });
  await add('maps/voxel_fwe_logp.nii.gz', { id: 'voxel_fwe_logp', label: '−log10 voxel FWE p', kind: 'logp' });
  const mapId = maps.find((m) => m.id === `cfwe_${primary}_z`) ? `cfwe_${primary}_z` : 'ale';
  const top = (k: AleResultLike['clusters'][number]) =>
    Object.entries(k.contributions)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([id, pct]) => `${id} ${pct.toFixed(1)}%`)
      .join('; ');
  const tables: ReportTable[] = [
    {
      id: 'clusters',
      title: 'ALE clusters',
      file: has('tables/clusters.csv') ? 'tables/clusters.csv' : undefined,
      note: `Marked ✓: cluster-size FWE p < ${primary}. Rows without ✓ are supra-threshold clusters that do not survive.`,
      survivorLabel: `FWE < ${primary}`,
      columns: ['#', 'voxels', 'mm³', 'peak ALE', 'x', 'y', 'z', 'mass', 'FWE p (size)', 'FWE p (mass)', 'label', 'largest contributions'],
      rows: r.clusters.map((k, i) => ({ cells: [i + 1, k.voxels, k.volumeMm3, Number(k.peakAle.toPrecision(4)), ...k.peakMni, Number(k.mass.toPrecision(4)), Number(k.pFweSize.toFixed(4)), Number(k.pFweMass.toFixed(4)), k.label, top(k)], survives: k.pFweSize < alpha, peakMm: k.peakMni, map: k.pFweSize < alpha ? mapId : 'ale' })),
    },
  ];
  const plots: ReportPlot[] = [
    {
      type: 'null',
      id: 'null_cluster_size',
      title: 'Monte-Carlo null of the largest cluster size',
      xLabel: 'largest cluster (voxels)',
      ...(extras.nulls?.maxSize ? { values: extras.nulls.maxSize } : {}),
      thresholds: alphas.filter((a) => r.cfwe[a] !== null).map((a) => ({ label: `cFWE ${a}`, value: r.cfwe[a]! })),
      observed: r.clusters.slice(0, 3).map((k, i) => ({ label: `cluster ${i + 1}`, value: k.voxels })),
      note: `${r.iterations} iterations; a cluster beyond the cFWE line survives.`,
    },
    {
      type: 'bars',
      id: 'cluster_sizes',
      title: 'Cluster sizes (survivors highlighted)',
      yLabel: 'voxels',
      bars: r.clusters.slice(0, 30).map((k, i) => ({ label: `#${i + 1} (${k.peakMni.join(',')})`, value: k.voxels, highlight: k.pFweSize < alpha })),
    },
  ];
  if (extras.nulls?.maxAle) plots.push({ type: 'null', id: 'null_max_ale', title: 'Monte-Carlo null of the maximum ALE', xLabel: 'maximum ALE', values: extras.nulls.maxAle, observed: [{ label: 'observed', value: r.maxAle }] });
  let foci = extras.foci;
  const coords = (job?.inputs as Record<string, unknown> | undefined)?.coordinates;
  if (!foci && typeof coords === 'string' && src.readInput) {
    const b = await src.readInput(coords).catch(() => undefined);
    if (b) foci = fociPerExperiment(b);
  }
  if (foci) plots.push({ type: 'bars', id: 'foci', title: 'Foci per experiment', yLabel: 'foci', bars: Object.entries(foci).map(([label, value]) => ({ label, value })) });
  const c0 = survivors[0] ?? r.clusters[0];
  if (c0) {
    plots.push({
      type: 'bars',
      id: 'contributions',
      title: `Contributions to cluster 1 (MNI ${c0.peakMni.join(', ')})`,
      yLabel: '% of the cluster’s ALE',
      bars: Object.entries(c0.contributions)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 20)
        .map(([label, value]) => ({ label, value })),
    });
  }
  return { maps, tables, plots, summary };
}
