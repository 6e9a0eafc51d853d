/**
 * The ale demo: NiMARE's pain dataset (21 experiments, 267 foci; bundled in
 * data/fixtures/ale) through the ale pipeline at the default thresholds (voxel p < 0.001,
 * cluster-level FWE 0.05). Nothing is planted in real data; what a reader can check is that
 * the maximum ALE equals the reference value (NiMARE 0.5.5: 0.0341202 at MNI (38, 4, 2)) and
 * that the surviving clusters sit in the regions experimental pain is known to engage
 * (bilateral anterior insula, mid-cingulate cortex, bilateral secondary somatosensory
 * cortex / parietal operculum, cerebellum; e.g. Duerden & Albanese 2013, Jensen et al. 2016).
 * Pure: the job spec and the check.
 */
import { distance, mm, tick, type Check, type Finding, type Mni } from './finding.ts';

export const ALE_DEMO_DATASET = 'data/fixtures/ale/nidm_pain_dset.json';

/** NiMARE 0.5.5's maximum ALE of the pain dataset on its 2 mm mask (mm → voxel by truncation). */
export const PAIN_REFERENCE_MAX = { ale: 0.0341202, mni: [38, 4, 2] as Mni };

/** Approximate centres (MNI mm) of the pain-network regions a pain ALE should find. */
export const PAIN_REGIONS: readonly { region: string; centreMni: Mni }[] = [
  { region: 'right anterior insula', centreMni: [38, 6, 2] },
  { region: 'left anterior insula', centreMni: [-36, 10, 0] },
  { region: 'mid-cingulate cortex', centreMni: [0, 6, 46] },
  { region: 'right parietal operculum (SII)', centreMni: [56, -26, 20] },
  { region: 'left parietal operculum (SII)', centreMni: [-58, -24, 18] },
  { region: 'left cerebellum', centreMni: [-30, -62, -32] },
];

/** Largest distance (mm) of a surviving cluster's peak from a region's centre. */
export const ALE_TOLERANCE_MM = 15;

export function aleDemoJob(iterations: number, seed = 1): Record<string, unknown> {
  return {
    jobId: 'demo-ale',
    pipeline: 'ale',
    description: "NiMARE's pain dataset (21 experiments) — neuroburst demo",
    inputs: { coordinates: 'nidm_pain_dset.json' },
    params: { clusterFormingP: 0.001, iterations, fweAlpha: [0.05, 0.01] },
    seed,
    budget: { maxUsd: 1, maxConcurrency: 200 },
  };
}

export interface AleResultLike {
  nExperiments: number;
  nFoci: number;
  maxAle: number;
  maxAleMni: number[];
  iterations: number;
  cfwe: Record<string, number | null>;
  clusters: { voxels: number; peakAle: number; peakMni: number[]; pFweSize: number }[];
}

/**
 * Checks: the maximum ALE equals the reference (relative 1e-5) at its voxel; every pain
 * region has a cluster surviving FWE at `alpha` whose peak is within ALE_TOLERANCE_MM.
 */
export function aleFinding(result: AleResultLike, alpha = 0.05, regions: readonly { region: string; centreMni: Mni }[] = PAIN_REGIONS): Finding {
  const checks: Check[] = [];
  const details: string[] = [];
  const survivors = result.clusters.filter((c) => c.pFweSize < alpha);
  const maxOk = Math.abs(result.maxAle - PAIN_REFERENCE_MAX.ale) <= 1e-5 * PAIN_REFERENCE_MAX.ale && distance(result.maxAleMni, PAIN_REFERENCE_MAX.mni) === 0;
  checks.push({ what: 'maximum ALE = NiMARE reference', plantedMni: PAIN_REFERENCE_MAX.mni, foundMni: result.maxAleMni as Mni, value: result.maxAle, ok: maxOk });
  details.push(`maximum ALE ${result.maxAle.toFixed(7)} at ${mm(result.maxAleMni)}; NiMARE 0.5.5: ${PAIN_REFERENCE_MAX.ale} at ${mm(PAIN_REFERENCE_MAX.mni)} ${tick(maxOk)}`);
  const used = new Set<number>();
  for (const r of regions) {
    let best = -1;
    let bestD = Infinity;
    survivors.forEach((c, i) => {
      const d = distance(c.peakMni, r.centreMni);
      if (d < bestD) [best, bestD] = [i, d];
    });
    const ok = best >= 0 && bestD <= ALE_TOLERANCE_MM;
    if (ok) used.add(best);
    const c = best >= 0 ? survivors[best] : undefined;
    checks.push({ what: r.region, plantedMni: r.centreMni, foundMni: c ? (c.peakMni as Mni) : null, distanceMm: c ? Math.round(bestD * 10) / 10 : null, value: c?.peakAle ?? null, ok });
    details.push(ok ? `${r.region}: cluster of ${c!.voxels} voxels, peak ${mm(c!.peakMni)} (${bestD.toFixed(0)} mm from ${mm(r.centreMni)}), FWE p = ${c!.pFweSize.toFixed(3)} ${tick(true)}` : `${r.region} ${mm(r.centreMni)}: no surviving cluster within ${ALE_TOLERANCE_MM} mm ${tick(false)}`);
  }
  const others = survivors.filter((_, i) => !used.has(i));
  for (const c of others) details.push(`also surviving: ${c.voxels} voxels, peak ${mm(c.peakMni)}, FWE p = ${c.pFweSize.toFixed(3)}`);
  const recovered = checks.every((c) => c.ok);
  const found = checks.filter((c) => c.ok && c.what !== 'maximum ALE = NiMARE reference').length;
  const line = `${survivors.length} of ${result.clusters.length} clusters survive FWE ${alpha} (${result.iterations} iterations) — peak ALE ${result.maxAle.toFixed(4)} at ${mm(result.maxAleMni)}; ${found}/${regions.length} pain regions found ${tick(recovered)}`;
  const planted = [
    `real data, nothing planted: ${result.nExperiments} pain experiments, ${result.nFoci} foci (NiMARE's pain dataset)`,
    `expected: maximum ALE ${PAIN_REFERENCE_MAX.ale} at ${mm(PAIN_REFERENCE_MAX.mni)} (NiMARE 0.5.5) and clusters in ${regions.map((r) => `${r.region} ${mm(r.centreMni)}`).join(', ')}`,
  ];
  return { pipeline: 'ale', recovered, line, planted, details, checks };
}
