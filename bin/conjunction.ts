/**
 * `neuroburst conjunction A.nii.gz B.nii.gz [--atlas aal|brainnetome|atlas.nii.gz --labels table]`:
 * the overlap of two result maps (shared/volume/conjunction.ts) with its clusters and their
 * atlas regions (shared/volume/cluster-regions.ts).
 *
 * When the maps are on different grids, the second is resampled onto the first's by nearest
 * neighbour through the affines (recorded in the summary); two grids that share no voxel are
 * NoGridOverlap. A bundled atlas or an atlas file on another grid is resampled onto the maps'
 * grid the same way.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { InvalidParameter, MissingInput } from '../shared/errors.ts';
import { readNifti, writeNifti, type NiftiVolume } from '../shared/nifti/index.ts';
import { voxelToMm } from '../shared/nifti/affine.ts';
import { parseLabelTable, type LabelTable } from '../shared/volume/atlas-labels.ts';
import { BUNDLED_ATLASES, bundledAtlasFor } from '../shared/volume/atlas-bundle.ts';
import { clusterRegions, clusterRegionsCsv, type ClusterRegionRow } from '../shared/volume/cluster-regions.ts';
import type { Connectivity } from '../shared/volume/components.ts';
import { conjunction, conjunctionClusters, type ConjunctionMode } from '../shared/volume/conjunction.ts';
import { resampleNearest, sameGrid, type Grid } from '../shared/volume/resample.ts';

export interface ConjunctionCliOptions {
  atlas?: string;
  labels?: string;
  mode?: string;
  connectivity?: string;
  minVoxels?: string;
  out?: string;
  csv?: string;
  json?: boolean;
}

export interface ConjunctionSummary {
  a: string;
  b: string;
  mode: ConjunctionMode;
  voxels: number;
  overlap: number;
  atlas: string | null;
  /** the second map (and/or the atlas) was resampled onto the first map's grid by nearest neighbour */
  resampled: string[];
  clusters: Array<{ cluster: number; tail: '+' | '-'; voxels: number; peakMni: [number, number, number]; peakValue: number; label: string }>;
  regions: ClusterRegionRow[];
}

function readVolume(file: string): NiftiVolume {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch {
    throw new MissingInput(`cannot read ${basename(file)}`, file);
  }
  return readNifti(bytes, basename(file));
}

export function runConjunction(fileA: string, fileB: string, opts: ConjunctionCliOptions = {}): { text: string; summary: ConjunctionSummary } {
  const A = readVolume(fileA);
  const B = readVolume(fileB);
  const dims: [number, number, number] = [A.header.dims[0], A.header.dims[1], A.header.dims[2]];
  const nVox = dims[0] * dims[1] * dims[2];
  const grid: Grid = { dims, affine: A.header.affine };
  const resampled: string[] = [];
  /** a volume's first 3-D image on the first map's grid (nearest neighbour when its grid differs) */
  const onGrid = (vol: NiftiVolume, name: string): ArrayLike<number> => {
    const g: Grid = { dims: vol.header.dims.slice(0, 3), affine: vol.header.affine };
    if (sameGrid(g, grid)) return vol.data.subarray(0, nVox);
    resampled.push(name);
    return resampleNearest(vol.data, g, grid, { input: name }).data;
  };
  const bData = onGrid(B, basename(fileB));
  const mode = (opts.mode === 'both' || opts.mode === 'both-nonzero' ? 'both-nonzero' : opts.mode === undefined || opts.mode === 'min' || opts.mode === 'min-statistic' ? 'min-statistic' : null) as ConjunctionMode | null;
  if (!mode) throw new InvalidParameter(`--mode must be min or both, got "${opts.mode}"`, 'mode');
  const connectivity = Number(opts.connectivity ?? 26) as Connectivity;
  const minVoxels = Number(opts.minVoxels ?? 1);
  const res = conjunction(A.data.subarray(0, nVox), Float32Array.from(bData), mode, [basename(fileA), basename(fileB)]);
  const clusters = conjunctionClusters(res.map, dims, connectivity, minVoxels);

  let atlas: ArrayLike<number> | null = null;
  let table: LabelTable = new Map();
  let atlasName: string | null = null;
  if (opts.atlas) {
    if ((BUNDLED_ATLASES as readonly string[]).includes(opts.atlas)) {
      const b = bundledAtlasFor(opts.atlas, dims, A.header.affine, 'atlas', (data, source, target) => resampleNearest(data, source, target, { input: 'atlas' }).data);
      atlas = b.labels;
      table = b.table;
      atlasName = /resampled/.test(b.citation) ? b.citation : `${b.citation}, bundled ${b.grid}`;
      if (/resampled/.test(b.citation)) resampled.push(opts.atlas);
    } else {
      const at = readVolume(opts.atlas);
      if (!opts.labels) throw new InvalidParameter('--labels <table> is needed with an atlas file', 'labels');
      let text: string;
      try {
        text = readFileSync(opts.labels, 'utf8');
      } catch {
        throw new MissingInput(`cannot read ${basename(opts.labels)}`, opts.labels);
      }
      table = parseLabelTable(text, basename(opts.labels));
      atlas = Int32Array.from(onGrid(at, basename(opts.atlas)), (x) => Math.round(x));
      atlasName = basename(opts.atlas);
    }
  }
  const regions = atlas ? clusterRegions(res.map, dims, A.header.affine, clusters, atlas, table) : [];
  const summary: ConjunctionSummary = {
    a: basename(fileA),
    b: basename(fileB),
    mode,
    voxels: res.voxels,
    overlap: res.overlap,
    atlas: atlasName,
    resampled,
    clusters: clusters.map((c) => {
      const mm = voxelToMm(A.header.affine, ...c.peakIjk);
      const l = atlas ? Math.round(atlas[c.peakIndex]) : 0;
      return {
        cluster: c.id,
        tail: c.tail,
        voxels: c.voxels,
        peakMni: [mm[0] + 0, mm[1] + 0, mm[2] + 0] as [number, number, number],
        peakValue: c.peakValue,
        label: l ? (table.get(l) ?? '') : '',
      };
    }),
    regions,
  };
  if (opts.out) writeFileSync(opts.out, writeNifti({ dims, affine: A.header.affine, data: res.map }, { description: 'neuroburst conjunction' }));
  if (opts.csv) writeFileSync(opts.csv, clusterRegionsCsv(regions, 'value'));
  const lines = [`conjunction (${mode}) of ${summary.a} and ${summary.b}: ${res.voxels} voxels (${res.overlap} non-zero in both), ${clusters.length} cluster(s)`];
  if (resampled.length) lines.push(`resampled onto ${summary.a}'s grid by nearest neighbour: ${resampled.join(', ')}`);
  for (const c of summary.clusters) {
    lines.push(` ${c.cluster} ${c.tail} ${c.voxels} voxels, peak ${c.peakValue.toFixed(3)} at MNI (${c.peakMni.join(', ')})${c.label ? ` ${c.label}` : ''}`);
    for (const r of regions.filter((x) => x.cluster === c.cluster)) {
      lines.push(`     ${r.region || '(outside the atlas)'}: ${r.voxels} voxels, peak ${r.peakValue.toFixed(3)} at (${r.peakMni.join(', ')})`);
    }
  }
  return { text: opts.json ? JSON.stringify(summary, null, 2) : lines.join('\n'), summary };
}
