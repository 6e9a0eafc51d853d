/**
 * The label atlases shipped in assets/atlases (AAL1 116 and Brainnetome 246, 2 mm and
 * 3 mm MNI grids; attribution in assets/atlases/README.md), returned as a label volume
 * plus its label table (`parseLabelTable`).
 *
 * `bundledAtlasFor(name, dims, affine)` picks the file on the data's grid. On any other grid
 * the caller passes a nearest-neighbour resampler (shared/volume/resample.ts's
 * `resampleNearest`, injected so this module does not depend on it), else SpaceMismatch.
 */
import { readFileSync } from 'node:fs';
import { assetPath } from '../assets.ts';
import { InvalidParameter, SpaceMismatch } from '../errors.ts';
import { readNifti } from '../nifti/index.ts';
import { parseLabelTable, type LabelTable } from './atlas-labels.ts';

export const BUNDLED_ATLASES = ['aal', 'brainnetome'] as const;
export type BundledAtlasName = (typeof BUNDLED_ATLASES)[number];
export type BundledGrid = '2mm' | '3mm';

const FILES: Record<BundledAtlasName, { volumes: Record<BundledGrid, string>; labels: string; citation: string }> = {
  aal: {
    volumes: { '2mm': 'atlases/aal/AAL116_2mm_index.nii.gz', '3mm': 'atlases/aal/AAL_61x73x61_YCG.nii.gz' },
    labels: 'atlases/aal/AAL116_labels.csv',
    citation: 'AAL1 (Tzourio-Mazoyer et al. 2002)',
  },
  brainnetome: {
    volumes: { '2mm': 'atlases/brainnetome/BN_Atlas_246_2mm.nii.gz', '3mm': 'atlases/brainnetome/BN_Atlas_246_3mm_derived.nii.gz' },
    labels: 'atlases/brainnetome/BN_Atlas_246_labels.csv',
    citation: 'Brainnetome 246 (Fan et al. 2016)',
  },
};

/** The two MNI grids of the bundled atlases (x reversed, origin at voxel (45|30, 63|42, 36|24)). */
export const BUNDLED_GRIDS: Record<BundledGrid, { dims: [number, number, number]; affine: Float64Array }> = {
  '2mm': { dims: [91, 109, 91], affine: Float64Array.from([-2, 0, 0, 90, 0, 2, 0, -126, 0, 0, 2, -72, 0, 0, 0, 1]) },
  '3mm': { dims: [61, 73, 61], affine: Float64Array.from([-3, 0, 0, 90, 0, 3, 0, -126, 0, 0, 3, -72, 0, 0, 0, 1]) },
};

export interface BundledAtlas {
  name: BundledAtlasName;
  grid: BundledGrid;
  dims: [number, number, number];
  affine: Float64Array;
  /** Integer labels, x fastest. */
  labels: Int32Array;
  table: LabelTable;
  /** How to cite it in a methods text. */
  citation: string;
}

function matchGrid(dims: readonly number[], affine: Float64Array, tolMm = 1e-3): BundledGrid | null {
  for (const g of ['2mm', '3mm'] as const) {
    const ref = BUNDLED_GRIDS[g];
    if (ref.dims.some((n, i) => n !== dims[i])) continue;
    if (ref.affine.every((a, i) => Math.abs(a - affine[i]) <= tolMm)) return g;
  }
  return null;
}

/** Load a bundled atlas on one of its grids. */
export function loadBundledAtlas(name: string, grid: BundledGrid): BundledAtlas {
  if (!(BUNDLED_ATLASES as readonly string[]).includes(name)) {
    throw new InvalidParameter(`no bundled atlas "${name}"; choose one of: ${BUNDLED_ATLASES.join(', ')}`, 'atlas');
  }
  const f = FILES[name as BundledAtlasName];
  const rel = f.volumes[grid];
  const vol = readNifti(readFileSync(assetPath(rel)), rel);
  const labels = new Int32Array(vol.data.length);
  for (let v = 0; v < labels.length; v++) labels[v] = Math.round(vol.data[v]);
  const table = parseLabelTable(readFileSync(assetPath(f.labels), 'utf8'), f.labels);
  return {
    name: name as BundledAtlasName,
    grid,
    dims: [vol.header.dims[0], vol.header.dims[1], vol.header.dims[2]],
    affine: vol.header.affine,
    labels,
    table,
    citation: f.citation,
  };
}

/** A voxel grid: spatial dims and the row-major 4×4 voxel → mm affine. */
export interface AtlasGrid {
  dims: readonly number[];
  affine: Float64Array;
}

/** Nearest-neighbour resampler of label values from one grid onto another (e.g. shared/volume/resample.ts's). */
export type NearestResampler = (data: ArrayLike<number>, source: AtlasGrid, target: AtlasGrid) => ArrayLike<number>;

/**
 * The bundled atlas on the data's grid (dims and affine). When the grid is neither bundled
 * grid, the 2 mm atlas is resampled onto it by `resample` (nearest neighbour) when one is
 * given, and SpaceMismatch naming `input` is thrown otherwise.
 */
export function bundledAtlasFor(name: string, dims: readonly number[], affine: Float64Array, input = 'atlas', resample?: NearestResampler): BundledAtlas {
  const g = matchGrid(dims, affine);
  if (g) return loadBundledAtlas(name, g);
  if (resample) {
    const src = loadBundledAtlas(name, '2mm');
    const data = resample(src.labels, { dims: src.dims, affine: src.affine }, { dims, affine });
    const labels = new Int32Array(data.length);
    for (let v = 0; v < labels.length; v++) labels[v] = Math.round(data[v]);
    return { ...src, grid: src.grid, dims: [dims[0], dims[1], dims[2]], affine: Float64Array.from(affine), labels, citation: `${src.citation}, resampled from 2 mm by nearest neighbour` };
  }
  throw new SpaceMismatch(
    `the bundled ${name} atlas exists on the MNI 2 mm (91×109×91) and 3 mm (61×73×61) grids; the data grid ` +
      `${dims.slice(0, 3).join('×')} matches neither, so the atlas must be resampled to it by nearest neighbour first`,
    input,
  );
}
