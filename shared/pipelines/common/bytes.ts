/** Typed arrays ↔ stored bytes (intermediates are raw little-endian arrays). */

/** A byte view of a typed array (no copy). */
export function asBytes(a: Float32Array | Float64Array | Int32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Copy bytes into a fresh, aligned typed array (storage reads may be unaligned views). */
export function f32(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export function f64(bytes: Uint8Array): Float64Array {
  const out = new Float64Array(bytes.byteLength / 8);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export function i32(bytes: Uint8Array): Int32Array {
  const out = new Int32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
