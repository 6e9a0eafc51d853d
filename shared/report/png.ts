/**
 * PNG encoding of 8-bit RGB images (the report's slice mosaics): one IDAT chunk holding the
 * scanlines (filter type 0) deflated by Node's zlib, CRC-32 per chunk (PNG specification,
 * ISO/IEC 15948). Level 3 by default: on a mosaic about 5× faster than level 6 for 25% more bytes
 * (the size fast-png gave at its default, also 3).
 */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, as PNG and gzip use it) of bytes[start, end). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** PNG bytes of a width × height RGB image (`rgb`: row-major from the top-left, 3 bytes a pixel). */
export function encodeRgbPng(width: number, height: number, rgb: Uint8Array, level = 3): Uint8Array {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) throw new RangeError(`encodeRgbPng: width and height must be positive integers, got ${width} × ${height}`);
  if (rgb.length !== width * height * 3) throw new RangeError(`encodeRgbPng: ${width} × ${height} RGB needs ${width * height * 3} bytes, got ${rgb.length}`);
  const row = width * 3;
  const raw = new Uint8Array((row + 1) * height);
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * row, (y + 1) * row), y * (row + 1) + 1); // filter byte 0 (none) leads each row
  const idat = deflateSync(raw, { level });
  const out = new Uint8Array(SIGNATURE.length + (12 + 13) + (12 + idat.length) + 12);
  const dv = new DataView(out.buffer);
  out.set(SIGNATURE, 0);
  let at = SIGNATURE.length;
  const chunk = (type: string, body: Uint8Array | ((at: number) => void), length: number) => {
    dv.setUint32(at, length);
    for (let i = 0; i < 4; i++) out[at + 4 + i] = type.charCodeAt(i);
    if (body instanceof Uint8Array) out.set(body, at + 8);
    else body(at + 8);
    dv.setUint32(at + 8 + length, crc32(out, at + 4, at + 8 + length));
    at += 12 + length;
  };
  chunk('IHDR', (o) => {
    dv.setUint32(o, width);
    dv.setUint32(o + 4, height);
    out[o + 8] = 8; // bit depth
    out[o + 9] = 2; // colour type: truecolour (RGB)
    // compression 0 (deflate), filter method 0, no interlace: bytes o+10..o+12 stay 0
  }, 13);
  chunk('IDAT', idat, idat.length);
  chunk('IEND', new Uint8Array(0), 0);
  return out;
}
