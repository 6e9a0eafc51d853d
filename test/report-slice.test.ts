/**
 * The report's slice renderer against a plain twin (one pixel at a time, every output pixel
 * written on its own): identical RGB for every plane, with and without crosshair and overlay,
 * at scales 1 to 3.
 */
import { describe, expect, it } from 'vitest';
import { colourOf, displayFor } from '../shared/report/display.ts';
import type { Display } from '../shared/report/display.ts';
import { brainBox, renderSlice, sampler } from '../shared/report/mosaic.ts';
import type { Plane, RgbImage, SliceOptions } from '../shared/report/mosaic.ts';

function plainRenderSlice(
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
  const p: [number, number, number] = [0, 0, 0];
  const fixed = plane === 'axial' ? 2 : plane === 'coronal' ? 1 : 0;
  p[fixed] = at;
  for (let b = 0; b < nv; b++) {
    p[va] = max[va]! - b * o.stepMm; // top row = largest coordinate
    for (let a = 0; a < nu; a++) {
      p[ua] = min[ua]! + a * o.stepMm;
      const t = background(p[0], p[1], p[2]);
      const gv = Number.isFinite(t) ? Math.round(255 * Math.min(1, Math.max(0, (t - g0) / (g1 - g0 || 1)))) : 0;
      let rgb: [number, number, number] = [gv, gv, gv];
      if (overlay && display) {
        const c = colourOf(display, overlay(p[0], p[1], p[2]));
        if (c) rgb = c;
      }
      if (o.crosshair) {
        const cu = Math.round((o.crosshair[ua]! - min[ua]!) / o.stepMm);
        const cv = Math.round((max[va]! - o.crosshair[va]!) / o.stepMm);
        // dotted lines with a gap around the crossing, so the peak itself stays visible
        if ((a === cu || b === cv) && (a + b) % 2 === 0 && (Math.abs(a - cu) > 2 || Math.abs(b - cv) > 2)) rgb = [60, 230, 60];
      }
      for (let dy = 0; dy < o.scale; dy++) {
        let off = ((b * o.scale + dy) * width + a * o.scale) * 3;
        for (let dx = 0; dx < o.scale; dx++, off += 3) {
          data[off] = rgb[0];
          data[off + 1] = rgb[1];
          data[off + 2] = rgb[2];
        }
      }
    }
  }
  return { width, height, data };
}


describe('renderSlice', () => {
  it('equals the plain twin pixel for pixel', () => {
    const dims = [21, 25, 19];
    const affine = Float64Array.from([-2, 0, 0, 20, 0, 2, 0, -24, 0, 0, 2, -18, 0, 0, 0, 1]);
    const n = dims[0]! * dims[1]! * dims[2]!;
    const template = { dims, affine, data: Float32Array.from({ length: n }, (_, v) => 10 + ((v * 7) % 13)) };
    const map = { dims, affine, data: Float32Array.from({ length: n }, (_, v) => Math.sin(v * 0.05) * 6) };
    const display = displayFor('z', map.data, 3);
    const box = brainBox(template, 4);
    for (const plane of ['axial', 'coronal', 'sagittal'] as const) {
      for (const scale of [1, 2, 3]) {
        for (const crosshair of [undefined, [4, -6, 2] as [number, number, number]]) {
          for (const withOverlay of [true, false]) {
            const o: SliceOptions = { box, stepMm: 2, scale, grey: [0, 20], ...(crosshair ? { crosshair } : {}) };
            const ov = withOverlay ? sampler(map) : null;
            const d = withOverlay ? display : null;
            const a = renderSlice(plane, 2, sampler(template), ov, d, o);
            const b = plainRenderSlice(plane, 2, sampler(template), ov, d, o);
            expect([a.width, a.height]).toEqual([b.width, b.height]);
            expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
          }
        }
      }
    }
  });
});
