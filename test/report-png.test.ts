/**
 * The report's PNG encoder against fast-png's decoder (an independent PNG reader): pixels come
 * back exactly, for odd sizes and noisy and flat images; CRC-32 against its check value.
 */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { crc32, encodeRgbPng } from '../shared/report/png.ts';
import { mix32 } from '../shared/random.ts';

describe('encodeRgbPng', () => {
  it('CRC-32 gives the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('decodes (fast-png) to the same RGB pixels', () => {
    for (const [w, h, noisy] of [[1, 1, true], [7, 3, true], [211, 97, true], [64, 64, false]] as const) {
      const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (noisy ? mix32(i + w) & 0xff : (i % 3) * 60));
      const png = decode(encodeRgbPng(w, h, rgb));
      expect([png.width, png.height, png.channels, png.depth]).toEqual([w, h, 3, 8]);
      expect(Buffer.from(png.data as Uint8Array).equals(Buffer.from(rgb))).toBe(true);
    }
  });

  it('refuses sizes that do not match the pixels', () => {
    expect(() => encodeRgbPng(2, 2, new Uint8Array(11))).toThrow(RangeError);
    expect(() => encodeRgbPng(0, 2, new Uint8Array(0))).toThrow(RangeError);
  });
});
