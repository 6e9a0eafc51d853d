/**
 * Static orthogonal-slice images of a map over the background template, as PNG, so a
 * report also reads where no script runs (PDF, mail). Slices are cut in MNI mm on a 2 mm display
 * lattice spanning the template's bounding box; both images are sampled by their own affines
 * (nearest voxel), so maps on any grid line up with the template. Neurological convention:
 * the subject's left on the image's left; anterior up in axial views.
 */
import { encodeRgbPng } from './png.ts';
import { invertAffine, voxelToMm } from '../nifti/affine.ts';
import { colourOf } from './display.ts';
import type { Display } from './display.ts';

export interface Volume3 {
  dims: number[];
  affine: Float64Array;
  data: ArrayLike<number>;
}

export interface Box {
  min: [number, number, number];
  max: [number, number, number];
}

/** Bounding box (mm) of a volume's voxel centres. */
export function boundingBox(v: Volume3): Box {
  const [nx, ny, nz] = v.dims as [number, number, number];
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (const i of [0, nx - 1]) for (const j of [0, ny - 1]) for (const k of [0, nz - 1]) {
    const p = voxelToMm(v.affine, i, j, k);
    for (let a = 0; a < 3; a++) {
      min[a] = Math.min(min[a]!, p[a]!);
      max[a] = Math.max(max[a]!, p[a]!);
    }
  }
  return { min, max };
}

/** Bounding box (mm) of the voxels with a positive value, widened by `marginMm` (the whole grid when none). */
export function brainBox(v: Volume3, marginMm: number): Box {
  const [nx, ny] = v.dims as [number, number];
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let g = 0; g < v.data.length; g++) {
    if (!(v.data[g]! > 0)) continue;
    const p = voxelToMm(v.affine, g % nx, Math.floor(g / nx) % ny, Math.floor(g / (nx * ny)));
    for (let a = 0; a < 3; a++) {
      if (p[a]! < min[a]!) min[a] = p[a]!;
      if (p[a]! > max[a]!) max[a] = p[a]!;
    }
  }
  if (!(max[0] >= min[0])) return boundingBox(v);
  const full = boundingBox(v);
  return {
    min: min.map((x, a) => Math.max(full.min[a]!, x - marginMm)) as [number, number, number],
    max: max.map((x, a) => Math.min(full.max[a]!, x + marginMm)) as [number, number, number],
  };
}

/** Nearest-voxel sampler of a volume at mm positions (NaN outside the grid). */
export function sampler(v: Volume3): (x: number, y: number, z: number) => number {
  const inv = invertAffine(v.affine);
  const [nx, ny, nz] = v.dims as [number, number, number];
  return (x, y, z) => {
    const i = Math.round(inv[0]! * x + inv[1]! * y + inv[2]! * z + inv[3]!);
    const j = Math.round(inv[4]! * x + inv[5]! * y + inv[6]! * z + inv[7]!);
    const k = Math.round(inv[8]! * x + inv[9]! * y + inv[10]! * z + inv[11]!);
    if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) return Number.NaN;
    return v.data[i + nx * (j + ny * k)]!;
  };
}

export type Plane = 'axial' | 'coronal' | 'sagittal';

export interface RgbImage {
  width: number;
  height: number;
  /** RGB, row-major from the top-left */
  data: Uint8Array;
}

export interface SliceOptions {
  box: Box;
  /** display lattice step (mm) */
  stepMm: number;
  /** pixels per lattice step */
  scale: number;
  /** template intensity shown black and white */
  grey: [number, number];
  crosshair?: [number, number, number];
}

/**
 * One slice as RGB. Axes: axial (x right→, y anterior↑), coronal (x right→, z up↑), sagittal
 * (y anterior→, z up↑); "right→" means x mm increases to the right, i.e. the left hemisphere
 * (negative x) on the left.
 */
export function renderSlice(
  plane: Plane,
  at: number,
  background: (x: number, y: number, z: number) => number,
  overlay: ((x: number, y: number, z: number) => number) | null,
  display: Display | null,
  o: SliceOptions,
): RgbImage {
  const { min, max } = o.box;
  const [ua, va] = plane === 'axial' ? [0, 1] : plane === 'coronal' ? [0, 2] : [1, 2];
  const nu = Math.floor((max[ua]! - min[ua]!) / o.stepMm) + 1;
  const nv = Math.floor((max[va]! - min[va]!) / o.stepMm) + 1;
  const width = nu * o.scale;
  const height = nv * o.scale;
  const data = new Uint8Array(width * height * 3);
  const [g0, g1] = o.grey;
  const gSpan = g1 - g0 || 1;
  const p: [number, number, number] = [0, 0, 0];
  const fixed = plane === 'axial' ? 2 : plane === 'coronal' ? 1 : 0;
  p[fixed] = at;
  const cross = o.crosshair;
  const cu = cross ? Math.round((cross[ua]! - min[ua]!) / o.stepMm) : 0;
  const cv = cross ? Math.round((max[va]! - cross[va]!) / o.stepMm) : 0;
  const rowBytes = width * 3;
  for (let b = 0; b < nv; b++) {
    p[va] = max[va]! - b * o.stepMm; // top row = largest coordinate
    const rowStart = b * o.scale * rowBytes;
    for (let a = 0; a < nu; a++) {
      p[ua] = min[ua]! + a * o.stepMm;
      const t = background(p[0], p[1], p[2]);
      const gv = Number.isFinite(t) ? Math.round(255 * Math.min(1, Math.max(0, (t - g0) / gSpan))) : 0;
      let r = gv;
      let g = gv;
      let bl = gv;
      if (overlay && display) {
        const c = colourOf(display, overlay(p[0], p[1], p[2]));
        if (c) [r, g, bl] = c;
      }
      // dotted lines with a gap around the crossing, so the peak itself stays visible
      if (cross && (a === cu || b === cv) && (a + b) % 2 === 0 && (Math.abs(a - cu) > 2 || Math.abs(b - cv) > 2)) [r, g, bl] = [60, 230, 60];
      let off = rowStart + a * o.scale * 3;
      for (let dx = 0; dx < o.scale; dx++, off += 3) {
        data[off] = r;
        data[off + 1] = g;
        data[off + 2] = bl;
      }
    }
    // the lattice row's other pixel rows are copies of its first
    for (let dy = 1; dy < o.scale; dy++) data.copyWithin(rowStart + dy * rowBytes, rowStart, rowStart + rowBytes);
  }
  return { width, height, data };
}

/** Place images left to right, rows top to bottom, centred, on black with `gap` pixels between. */
export function compose(rows: RgbImage[][], gap = 6): RgbImage {
  const rowW = rows.map((r) => r.reduce((s, im) => s + im.width, 0) + gap * (r.length - 1));
  const rowH = rows.map((r) => Math.max(...r.map((im) => im.height)));
  const width = Math.max(...rowW);
  const height = rowH.reduce((a, b) => a + b, 0) + gap * (rows.length - 1);
  const data = new Uint8Array(width * height * 3);
  let y0 = 0;
  rows.forEach((r, ri) => {
    let x0 = Math.floor((width - rowW[ri]!) / 2);
    for (const im of r) {
      const yOff = y0 + Math.floor((rowH[ri]! - im.height) / 2);
      for (let y = 0; y < im.height; y++) data.set(im.data.subarray(y * im.width * 3, (y + 1) * im.width * 3), ((yOff + y) * width + x0) * 3);
      x0 += im.width + gap;
    }
    y0 += rowH[ri]! + gap;
  });
  return { width, height, data };
}

export function encodePng(im: RgbImage): Uint8Array {
  return encodeRgbPng(im.width, im.height, im.data);
}

export interface MosaicOptions {
  /** where the orthogonal slices cross (mm); default the map's largest |displayed value| */
  centre?: [number, number, number];
  /** number of axial slices in the lower row */
  slices?: number;
  scale?: number;
}

/**
 * The mosaic of one map: sagittal, coronal and axial slices through `centre` (crosshair drawn),
 * then a row of axial slices evenly spaced over the z range of the supra-threshold voxels (the
 * template's brain range when none survive).
 */
/** What a mosaic needs of the template (the same for every map of a report): computed once per template object. */
const templateParts = new WeakMap<Volume3, { box: Box; bg: (x: number, y: number, z: number) => number; tplMax: number }>();

function partsOf(template: Volume3): { box: Box; bg: (x: number, y: number, z: number) => number; tplMax: number } {
  let p = templateParts.get(template);
  if (!p) {
    p = { box: brainBox(template, 4), bg: sampler(template), tplMax: robustMax(template.data) };
    templateParts.set(template, p);
  }
  return p;
}

export function mosaic(template: Volume3, map: Volume3, display: Display, opts: MosaicOptions = {}): { png: Uint8Array; centre: [number, number, number]; slicesMm: number[] } {
  // the template's values are not expected to change between calls with the same object
  const { box, bg, tplMax } = partsOf(template);
  const ov = sampler(map);
  const o: SliceOptions = { box, stepMm: 2, scale: opts.scale ?? 3, grey: [0, tplMax] };
  const [nx, ny] = map.dims as [number, number];
  let best = -1;
  let zLo = Infinity;
  let zHi = -Infinity;
  let bestV = 0;
  for (let v = 0; v < map.data.length; v++) {
    const x = map.data[v]!;
    if (colourOf(display, x) === null) continue;
    const z = voxelToMm(map.affine, v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny)))[2];
    zLo = Math.min(zLo, z);
    zHi = Math.max(zHi, z);
    if (Math.abs(x) > bestV) (bestV = Math.abs(x)), (best = v);
  }
  const centre: [number, number, number] =
    opts.centre ?? (best >= 0 ? voxelToMm(map.affine, best % nx, Math.floor(best / nx) % ny, Math.floor(best / (nx * ny))) : [0, -18, 8]);
  const snap = (x: number) => Math.round(x / 2) * 2;
  const c = centre.map(snap) as [number, number, number];
  if (!(zHi >= zLo)) [zLo, zHi] = [-40, 70];
  const n = opts.slices ?? 7;
  // at least 6 mm between slices: widen a thin range around its middle, within the brain box
  const span = Math.max(zHi - zLo, 6 * (n - 1));
  const mid = (zLo + zHi) / 2;
  zLo = Math.max(box.min[2], mid - span / 2);
  zHi = Math.min(box.max[2], zLo + span);
  const slicesMm = [...new Set(Array.from({ length: n }, (_, s) => snap(n === 1 ? (zLo + zHi) / 2 : zLo + ((zHi - zLo) * s) / (n - 1))))];
  const top = [renderSlice('sagittal', c[0], bg, ov, display, { ...o, crosshair: c }), renderSlice('coronal', c[1], bg, ov, display, { ...o, crosshair: c }), renderSlice('axial', c[2], bg, ov, display, { ...o, crosshair: c })];
  const small = { ...o, scale: 2 };
  const bottom = slicesMm.map((z) => renderSlice('axial', z, bg, ov, display, small));
  return { png: encodePng(compose([top, bottom])), centre: c, slicesMm };
}

/** MNI mm of the voxel with the largest |value| among those the display colours (undefined when none). */
export function peakMm(map: Volume3, display: Display): [number, number, number] | undefined {
  const [nx, ny] = map.dims as [number, number];
  let best = -1;
  let bestV = 0;
  for (let v = 0; v < map.data.length; v++) {
    const x = map.data[v]!;
    if (Math.abs(x) > bestV && colourOf(display, x) !== null) (bestV = Math.abs(x)), (best = v);
  }
  return best < 0 ? undefined : voxelToMm(map.affine, best % nx, Math.floor(best / nx) % ny, Math.floor(best / (nx * ny)));
}

/** 99.5th percentile of the positive values (the display white point of a template). */
export function robustMax(values: ArrayLike<number>): number {
  const pos: number[] = [];
  for (let i = 0; i < values.length; i += 7) if (values[i]! > 0) pos.push(values[i]!);
  if (!pos.length) return 1;
  pos.sort((a, b) => a - b);
  return pos[Math.floor(0.995 * (pos.length - 1))]!;
}
