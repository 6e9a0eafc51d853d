/**
 * How each kind of map is shown: the values displayed (p → −log10 p), colour maps for positive
 * and negative values and the display range [min, max] (values below min are transparent).
 * Shared by the interactive viewer (NiiVue colour-map names) and the static mosaics (our ramps).
 */
import type { MapKind } from './types.ts';

export interface Display {
  /** NiiVue colour map of values ≥ min, and of values ≤ −min when signed */
  colormap: string;
  colormapNegative?: string;
  signed: boolean;
  min: number;
  max: number;
  /** what the displayed numbers are */
  unit: string;
  /** the map is shown as −log10 of the stored value */
  negLog10: boolean;
}

/** The q-th quantile (0..1) of the finite non-zero |values| (linear interpolation), 0 if none. */
export function absQuantile(values: ArrayLike<number>, q: number): number {
  const a: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i]!);
    if (v > 0 && Number.isFinite(v)) a.push(v);
  }
  if (!a.length) return 0;
  a.sort((x, y) => x - y);
  const pos = q * (a.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(a.length - 1, lo + 1);
  return a[lo]! + (a[hi]! - a[lo]!) * (pos - lo);
}

function hasBelow(values: ArrayLike<number>, x: number): boolean {
  for (let i = 0; i < values.length; i++) if (values[i]! <= x) return true;
  return false;
}

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i]!);
    if (v > m && Number.isFinite(v)) m = v;
  }
  return m;
}

/** −log10 p of a p map, 0 where p is 0 (outside the mask), not finite or ≥ 1. */
export function negLog10P(p: ArrayLike<number>): Float32Array {
  const out = new Float32Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    out[i] = v > 0 && v < 1 ? -Math.log10(v) : 0;
  }
  return out;
}

/** Display of a map of `kind` whose (displayed) values are `values`; `threshold` on the map's own scale. */
export function displayFor(kind: MapKind, values: ArrayLike<number>, threshold?: number): Display {
  const top = (min: number) => {
    const m = maxAbs(values);
    return m > min ? m : min * 1.5 || 1;
  };
  switch (kind) {
    case 't':
    case 'z':
    case 'cluster': {
      const min = threshold ?? (kind === 'cluster' ? Math.max(1e-6, absQuantile(values, 0) * 0.999) : 2.3);
      // a map without negative values shown (e.g. positive ALE clusters) gets no negative colour bar
      return { colormap: 'warm', ...(hasBelow(values, -min) ? { colormapNegative: 'winter' } : {}), signed: true, min, max: top(min), unit: kind === 't' ? 't' : 'z', negLog10: false };
    }
    case 'reho': {
      const min = threshold ?? absQuantile(values, 0.75);
      return { colormap: 'warm', colormapNegative: 'winter', signed: true, min, max: Math.max(top(min), min * 1.01), unit: 'ReHo', negLog10: false };
    }
    case 'p': {
      const min = -Math.log10(threshold ?? 0.001);
      return { colormap: 'hot', signed: false, min, max: Math.max(top(min), min + 1), unit: '−log10 p', negLog10: true };
    }
    case 'logp': {
      const min = threshold ?? 1.3;
      return { colormap: 'hot', signed: false, min, max: Math.max(top(min), min + 0.5), unit: '−log10 p', negLog10: false };
    }
    case 'oneMinusP':
      return { colormap: 'hot', signed: false, min: threshold ?? 0.95, max: 1, unit: '1 − p', negLog10: false };
    case 'overlap': {
      const min = threshold ?? 0.5;
      return { colormap: 'warm', colormapNegative: 'winter', signed: true, min, max: 1, unit: 'fraction of studies', negLog10: false };
    }
    case 'mask':
      return { colormap: 'green', signed: false, min: 0.5, max: 1, unit: 'in mask', negLog10: false };
    case 'ale':
    case 'tfce':
    case 'value':
    default: {
      const min = threshold ?? absQuantile(values, 0.95);
      return { colormap: 'hot', signed: false, min, max: Math.max(top(min), min * 1.01), unit: kind === 'ale' ? 'ALE' : kind === 'tfce' ? 'TFCE' : 'value', negLog10: false };
    }
  }
}

export type Rgb = [number, number, number];

/** Our ramps for the static images, close to NiiVue's of the same name (t in 0..1). */
export function ramp(name: string, t: number): Rgb {
  const u = t <= 0 ? 0 : t >= 1 ? 1 : t;
  const mix = (a: Rgb, b: Rgb, f: number): Rgb => [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f].map(Math.round) as Rgb;
  switch (name) {
    case 'warm':
      return mix([255, 50, 0], [255, 255, 80], u);
    case 'winter':
      return mix([0, 60, 255], [0, 255, 200], u);
    case 'green':
      return [40, 220, 60];
    case 'hot':
    default:
      return u < 0.5 ? mix([200, 0, 0], [255, 160, 0], u * 2) : mix([255, 160, 0], [255, 255, 200], (u - 0.5) * 2);
  }
}

/** Colour of a displayed value, or null when it is below the display threshold. */
export function colourOf(d: Display, v: number): Rgb | null {
  if (!Number.isFinite(v)) return null;
  if (v >= d.min && v > 0) return ramp(d.colormap, (v - d.min) / (d.max - d.min || 1));
  if (d.signed && v <= -d.min && v < 0) return ramp(d.colormapNegative ?? d.colormap, (-v - d.min) / (d.max - d.min || 1));
  return null;
}
