/**
 * The netmap demo: three coordinate "studies" seeded in the synthetic connectome of
 * ./connectome.ts (two planted networks). The thalamus and cerebellum studies sit in network A
 * (left thalamus + right cerebellum, anti-correlated medial frontal region), the occipital
 * study in network B (bilateral occipital). Each study's positive network (t > threshold)
 * should cover its own planted network and not the other; the overlap of the three studies
 * should peak in network A (2 of 3 studies). Pure (the caller writes the files).
 */
import { voxelToMm } from '../nifti/affine.ts';
import type { DemoConnectome } from './connectome.ts';
import { distance, mm, tick, type Check, type Finding, type Mni } from './finding.ts';

export interface NetmapDemoStudy {
  study: string;
  coordinates: Mni[];
  /** the planted network its seed lies in */
  network: 'A' | 'B';
}

export const NETMAP_STUDIES: readonly NetmapDemoStudy[] = [
  { study: 'study-thalamus', coordinates: [[-12, -18, 6], [-10, -22, 2]], network: 'A' },
  { study: 'study-cerebellum', coordinates: [[30, -66, -30]], network: 'A' },
  { study: 'study-occipital', coordinates: [[-24, -90, 6]], network: 'B' },
];

export const NETMAP_THRESHOLD = 5.1;

export function netmapSeedsCsv(studies: readonly NetmapDemoStudy[] = NETMAP_STUDIES): string {
  const rows = ['study,x,y,z'];
  for (const s of studies) for (const c of s.coordinates) rows.push([s.study, ...c].join(','));
  return rows.join('\n') + '\n';
}

export function netmapDemoJob(seed = 1): Record<string, unknown> {
  return {
    jobId: 'demo-netmap',
    pipeline: 'netmap',
    description: 'three coordinate studies on a synthetic connectome with two planted networks (neuroburst demo)',
    inputs: { connectome: 'connectome/connectome.json', seeds: 'seeds.csv' },
    params: { sphereDiameterMm: 12, threshold: NETMAP_THRESHOLD },
    seed,
    budget: { maxUsd: 1, maxConcurrency: 200 },
  };
}

/** Voxels (on the connectome grid) of a planted network: within radiusMm of one of its regions of the given sign. */
export function plantedNetworkMask(demo: Pick<DemoConnectome, 'manifest' | 'mask' | 'regions'>, network: 'A' | 'B', sign: 1 | -1, radiusMm = 12): Uint8Array {
  const { dims, affine } = demo.manifest.grid;
  const a = Float64Array.from(affine);
  const out = new Uint8Array(dims[0] * dims[1] * dims[2]);
  const regions = demo.regions.filter((r) => r.network === network && r.sign === sign);
  for (let g = 0; g < out.length; g++) {
    if (!demo.mask[g]) continue;
    const p = voxelToMm(a, g % dims[0], Math.floor(g / dims[0]) % dims[1], Math.floor(g / (dims[0] * dims[1])));
    if (regions.some((r) => distance(p, r.centreMni) <= radiusMm)) out[g] = 1;
  }
  return out;
}

/** Fraction of the planted voxels that are in the binarised network, and of the network's voxels that are planted. */
export function networkOverlap(binary: ArrayLike<number>, planted: Uint8Array): { recall: number; precision: number; voxels: number } {
  let both = 0;
  let nb = 0;
  let np = 0;
  for (let g = 0; g < planted.length; g++) {
    const b = binary[g]! ? 1 : 0;
    nb += b;
    np += planted[g]!;
    if (b && planted[g]) both++;
  }
  return { recall: np ? both / np : 0, precision: nb ? both / nb : 0, voxels: nb };
}

export interface NetmapResultLike {
  studies: { study: string; set: string; maxT: number; peakMni: number[]; troughMni: number[]; positiveVoxels: number; negativeVoxels: number }[];
  overlap: { studies: number; maxPositive: number };
}

/** The maps the check reads: each study's t map and the positive overlap (fraction of studies), on the connectome grid. */
export interface NetmapMaps {
  t: Record<string, Float32Array>;
  overlapPositive?: Float32Array;
}

/** A planted region's core (recall is measured on it) and its reach (precision: where a network may lie). */
export const NETMAP_CORE_MM = 12;
export const NETMAP_REACH_MM = 24;
/** Minimum recall (of the cores) and precision (inside the reach) of a recovered network. */
export const NETMAP_MIN_OVERLAP = 0.8;

/**
 * Checks: every study's positive network (t > threshold) covers at least 80% of its own
 * planted network's cores (12 mm around each region of positive sign), with at least 80% of
 * its voxels within 24 mm of them (it does not spill into the other network); network-A
 * studies' negative networks cover the anti-correlated region's core; the voxels shared by
 * the positive networks of both network-A studies (overlap 2/3) cover network A's cores and
 * lie in its reach.
 */
export function netmapFinding(result: NetmapResultLike, maps: NetmapMaps, demo: Pick<DemoConnectome, 'manifest' | 'mask' | 'regions'>, studies: readonly NetmapDemoStudy[] = NETMAP_STUDIES, threshold = NETMAP_THRESHOLD): Finding {
  const checks: Check[] = [];
  const details: string[] = [];
  const parts: string[] = [];
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  for (const s of studies) {
    const t = maps.t[s.study];
    const r = result.studies.find((x) => x.study === s.study);
    if (!t || !r) {
      checks.push({ what: `${s.study} network`, ok: false });
      details.push(`${s.study}: no map ${tick(false)}`);
      continue;
    }
    const bin = Array.from(t, (x) => (x > threshold ? 1 : 0));
    const recall = networkOverlap(bin, plantedNetworkMask(demo, s.network, 1, NETMAP_CORE_MM)).recall;
    const precision = networkOverlap(bin, plantedNetworkMask(demo, s.network, 1, NETMAP_REACH_MM)).precision;
    const ok = recall >= NETMAP_MIN_OVERLAP && precision >= NETMAP_MIN_OVERLAP;
    checks.push({ what: `${s.study} positive network = planted network ${s.network}`, value: Math.round(100 * Math.min(recall, precision)) / 100, ok });
    let neg = '';
    const negRegions = demo.regions.filter((x) => x.network === s.network && x.sign === -1);
    if (negRegions.length) {
      const nb = Array.from(t, (x) => (x < -threshold ? 1 : 0));
      const nr = networkOverlap(nb, plantedNetworkMask(demo, s.network, -1, NETMAP_CORE_MM)).recall;
      const nok = nr >= NETMAP_MIN_OVERLAP;
      checks.push({ what: `${s.study} negative network covers ${negRegions.map((x) => x.name).join(', ')}`, value: Math.round(100 * nr) / 100, ok: nok });
      neg = `; negative network covers ${pct(nr)} of ${negRegions.map((x) => x.name).join(', ')} ${tick(nok)}`;
    }
    details.push(`${s.study}: peak t ${r.maxT.toFixed(1)} at ${mm(r.peakMni)}; positive network ${r.positiveVoxels} voxels covers ${pct(recall)} of planted network ${s.network}, ${pct(precision)} of it within ${NETMAP_REACH_MM} mm of it ${tick(ok)}${neg}`);
    parts.push(`${s.study.replace(/^study-/, '')} → ${s.network}`);
  }
  const nA = studies.filter((s) => s.network === 'A').length;
  if (maps.overlapPositive && nA >= 2) {
    const level = nA / studies.length;
    const shared = Array.from(maps.overlapPositive, (x) => (x >= level - 1e-6 ? 1 : 0));
    const recall = networkOverlap(shared, plantedNetworkMask(demo, 'A', 1, NETMAP_CORE_MM)).recall;
    const o = networkOverlap(shared, plantedNetworkMask(demo, 'A', 1, NETMAP_REACH_MM));
    const ok = recall >= NETMAP_MIN_OVERLAP && o.precision >= NETMAP_MIN_OVERLAP;
    checks.push({ what: `overlap of the ${nA} network-A studies = planted network A`, value: Math.round(100 * Math.min(recall, o.precision)) / 100, ok });
    details.push(`overlap: ${o.voxels} voxels in ≥ ${nA} of ${studies.length} positive networks, covering ${pct(recall)} of network A, ${pct(o.precision)} of them within ${NETMAP_REACH_MM} mm of it ${tick(ok)}`);
  } else {
    checks.push({ what: 'overlap map', ok: false });
  }
  const recovered = checks.every((c) => c.ok);
  const line = `${studies.length} studies, each mapped onto its planted network (${parts.join(', ')}); network A is where ${nA} of ${studies.length} networks overlap ${tick(recovered)}`;
  const planted = demo.regions.map((r) => `network ${r.network}${r.sign < 0 ? ' (anti-correlated)' : ''}: ${r.name} ${mm(r.centreMni)}`);
  planted.push(...studies.map((s) => `${s.study}: seeds at ${s.coordinates.map((c) => mm(c)).join(', ')} (in network ${s.network})`));
  return { pipeline: 'netmap', recovered, line, planted, details, checks };
}
