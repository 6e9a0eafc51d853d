/**
 * Seed-to-voxel functional connectivity on a normative connectome (Lead-DBS style
 * seed mapping, ALGORITHMS §H).
 *
 * A connectome run is stored as demeaned float32 series, time-major (T × V, voxel
 * fastest) over the connectome mask's V voxels. Per run: the seed time course is the
 * weighted mean of the seed voxels' series, and r(v) = ⟨s, x_v⟩ / (‖s‖·‖x_v‖) — one pass
 * over the run for all seeds at once, blocked over voxels so the seeds' accumulators stay
 * in cache. Per subject: r averaged over runs, Fisher z = atanh(r) with |r| clamped to
 * 1 − 1e-7 (|z| ≤ 8.4). Voxels with a constant series (zero norm) have no r for that run.
 *
 * Across subjects, sums of z, z² and r are accumulated in float64 after rounding each
 * subject's values to multiples of 2⁻³⁰: the sums are then exact, so any grouping of
 * subjects into shards gives bit-identical totals (the rounding changes z by < 1e-9).
 */
import { InvalidParameter } from '../errors.ts';
import { wasmKernels, type WasmKernels } from '../wasm/instance.ts';

export interface Seed {
  /** compact connectome-voxel indices of the seed */
  index: Int32Array;
  /** weight per seed voxel (1 for spheres; mask values for lesion/VAT masks) */
  weight: Float64Array;
}

export const R_CLAMP = 1 - 1e-7;
const QUANTUM = 2 ** -30;
const quantise = (x: number) => Math.round(x / QUANTUM) * QUANTUM;

const BLOCK = 512;

/**
 * r of every seed with every voxel for one run into rOut (S × V, seed-major);
 * NaN where the voxel's series is constant. Returns false when a seed's own time
 * course is constant (its whole row is NaN).
 */
export function correlateRun(run: Float32Array, T: number, V: number, seeds: readonly Seed[], rOut: Float64Array, scalar = false): boolean[] {
  if (run.length !== T * V) throw new InvalidParameter(`run holds ${run.length} values; expected T × V = ${T} × ${V}`);
  const S = seeds.length;
  if (rOut.length !== S * V) throw new InvalidParameter(`r output has ${rOut.length} values; expected ${S} × ${V}`);
  // seed time courses
  const s = new Float64Array(S * T);
  const ok: boolean[] = [];
  seeds.forEach((seed, k) => {
    let wsum = 0;
    for (let q = 0; q < seed.index.length; q++) wsum += seed.weight[q]!;
    for (let t = 0; t < T; t++) {
      let acc = 0;
      const row = t * V;
      for (let q = 0; q < seed.index.length; q++) acc += seed.weight[q]! * run[row + seed.index[q]!]!;
      s[k * T + t] = acc / wsum;
    }
    let mean = 0;
    for (let t = 0; t < T; t++) mean += s[k * T + t]!;
    mean /= T;
    let ss = 0;
    for (let t = 0; t < T; t++) {
      const d = s[k * T + t]! - mean;
      s[k * T + t] = d;
      ss += d * d;
    }
    const norm = Math.sqrt(ss);
    ok.push(norm > 0);
    for (let t = 0; t < T; t++) s[k * T + t] = norm > 0 ? s[k * T + t]! / norm : 0;
  });
  if (!scalar && S > 0 && correlateSimd(run, T, V, S, s, ok, rOut)) return ok;
  const acc = new Float64Array(S * BLOCK);
  const sq = new Float64Array(BLOCK);
  for (let v0 = 0; v0 < V; v0 += BLOCK) {
    const bl = Math.min(BLOCK, V - v0);
    acc.fill(0);
    sq.fill(0);
    for (let t = 0; t < T; t++) {
      const row = t * V + v0;
      for (let b = 0; b < bl; b++) {
        const x = run[row + b]!;
        sq[b] += x * x;
      }
      let k = 0;
      // four seeds per sweep: each voxel value is loaded once for all four
      for (; k + 4 <= S; k += 4) {
        const s0 = s[k * T + t]!;
        const s1 = s[(k + 1) * T + t]!;
        const s2 = s[(k + 2) * T + t]!;
        const s3 = s[(k + 3) * T + t]!;
        const a0 = k * BLOCK;
        const a1 = a0 + BLOCK;
        const a2 = a1 + BLOCK;
        const a3 = a2 + BLOCK;
        for (let b = 0; b < bl; b++) {
          const x = run[row + b]!;
          acc[a0 + b] += s0 * x;
          acc[a1 + b] += s1 * x;
          acc[a2 + b] += s2 * x;
          acc[a3 + b] += s3 * x;
        }
      }
      for (; k < S; k++) {
        const sk = s[k * T + t]!;
        const ao = k * BLOCK;
        for (let b = 0; b < bl; b++) acc[ao + b] += sk * run[row + b]!;
      }
    }
    for (let k = 0; k < S; k++) {
      const ro = k * V + v0;
      const ao = k * BLOCK;
      for (let b = 0; b < bl; b++) {
        const n = sq[b]!;
        rOut[ro + b] = ok[k] && n > 0 ? acc[ao + b]! / Math.sqrt(n) : NaN;
      }
    }
  }
  return ok;
}

let simdCache: { bytes: number; kernels: WasmKernels } | null = null;

/**
 * The accumulation of correlateRun in the WebAssembly SIMD kernel: four seeds and two
 * voxels at a time, sums over t in order as in the loop above, so r is bit-identical.
 * The run is copied into the kernel's memory (kept between calls). False when the
 * kernel is unavailable.
 */
function correlateSimd(run: Float32Array, T: number, V: number, S: number, s: Float64Array, ok: boolean[], rOut: Float64Array): boolean {
  const groups = Math.ceil(S / 4);
  const xBytes = align16(T * V * 4);
  const sBytes = groups * T * 4 * 8;
  const bytes = xBytes + sBytes + groups * 4 * V * 8 + V * 8 + 64;
  if (!simdCache || simdCache.bytes < bytes) {
    simdCache = null;
    const kernels = wasmKernels(bytes);
    if (!kernels) return false;
    simdCache = { bytes, kernels };
  }
  const { kernels } = simdCache;
  const buf = kernels.memory.buffer;
  const xPtr = 0;
  const sPtr = xBytes;
  const accPtr = align16(sPtr + sBytes);
  const sqPtr = accPtr + groups * 4 * V * 8;
  new Float32Array(buf, xPtr, T * V).set(run);
  // seeds of group g interleaved by time (missing seeds of the last group are zero)
  const sv = new Float64Array(buf, sPtr, groups * T * 4);
  for (let g = 0; g < groups; g++) {
    for (let t = 0; t < T; t++) for (let c = 0; c < 4; c++) sv[(g * T + t) * 4 + c] = 4 * g + c < S ? s[(4 * g + c) * T + t]! : 0;
  }
  // voxel chunks small enough that their T rows stay in cache across the seed groups
  for (let v0 = 0; v0 < V; v0 += BLOCK) {
    const v1 = Math.min(V, v0 + BLOCK);
    for (let g = 0; g < groups; g++) kernels.seedAccumulate(xPtr, V, T, sPtr + g * T * 32, accPtr + g * 4 * V * 8, sqPtr, g === 0 ? 1 : 0, v0, v1);
  }
  const acc = new Float64Array(buf, accPtr, groups * 4 * V);
  const sq = new Float64Array(buf, sqPtr, V);
  // ‖x_v‖ once per voxel (0 for a constant series), the same value every seed divides by
  const norm = new Float64Array(V);
  for (let v = 0; v < V; v++) norm[v] = sq[v]! > 0 ? Math.sqrt(sq[v]!) : 0;
  for (let k = 0; k < S; k++) {
    const ro = k * V;
    const ao = k * V; // group g's seed c sits at row 4g + c = k
    if (!ok[k]) {
      rOut.fill(NaN, ro, ro + V);
      continue;
    }
    for (let v = 0; v < V; v++) {
      const n = norm[v]!;
      rOut[ro + v] = n > 0 ? acc[ao + v]! / n : NaN;
    }
  }
  return true;
}

const align16 = (x: number) => Math.ceil(x / 16) * 16;

/** Per-seed sums over subjects (S × V each, seed-major). */
export interface SeedSums {
  S: number;
  V: number;
  sumZ: Float64Array;
  sumZ2: Float64Array;
  sumR: Float64Array;
  /** subjects with a finite r at the voxel */
  n: Int32Array;
}

export function emptySums(S: number, V: number): SeedSums {
  return { S, V, sumZ: new Float64Array(S * V), sumZ2: new Float64Array(S * V), sumR: new Float64Array(S * V), n: new Int32Array(S * V) };
}

/**
 * Add one connectome subject (all its runs) to the sums: r averaged over the runs where
 * it is finite, then z = atanh(clamped r).
 */
export function addSubject(runs: readonly { data: Float32Array; T: number }[], V: number, seeds: readonly Seed[], sums: SeedSums): void {
  const S = seeds.length;
  const rSum = new Float64Array(S * V);
  const rCount = new Int32Array(S * V);
  const r = new Float64Array(S * V);
  for (const run of runs) {
    correlateRun(run.data, run.T, V, seeds, r);
    for (let i = 0; i < S * V; i++) {
      const x = r[i]!;
      if (x === x) {
        rSum[i] += x;
        rCount[i]++;
      }
    }
  }
  for (let i = 0; i < S * V; i++) {
    if (rCount[i] === 0) continue;
    let m = rSum[i]! / rCount[i]!;
    if (m > R_CLAMP) m = R_CLAMP;
    else if (m < -R_CLAMP) m = -R_CLAMP;
    const z = quantise(Math.atanh(m));
    sums.sumZ[i] += z;
    sums.sumZ2[i] += quantise(z * z);
    sums.sumR[i] += quantise(m);
    sums.n[i]++;
  }
}

/** a += b (exact for sums built by addSubject). */
export function mergeSums(a: SeedSums, b: SeedSums): void {
  if (a.S !== b.S || a.V !== b.V) throw new InvalidParameter(`cannot merge sums of ${b.S}×${b.V} into ${a.S}×${a.V}`);
  for (let i = 0; i < a.sumZ.length; i++) {
    a.sumZ[i] += b.sumZ[i]!;
    a.sumZ2[i] += b.sumZ2[i]!;
    a.sumR[i] += b.sumR[i]!;
    a.n[i] += b.n[i]!;
  }
}

/**
 * Seed maps from the sums: mean r, mean z and the one-sample t of z against 0
 * (df = n − 1; 0 where n < 2 or the z values do not vary).
 */
export function seedMaps(sums: SeedSums, k: number): { meanR: Float32Array; meanZ: Float32Array; t: Float32Array; n: Int32Array } {
  const V = sums.V;
  const meanR = new Float32Array(V);
  const meanZ = new Float32Array(V);
  const t = new Float32Array(V);
  const n = sums.n.slice(k * V, (k + 1) * V);
  for (let v = 0; v < V; v++) {
    const i = k * V + v;
    const c = sums.n[i]!;
    if (c === 0) continue;
    const mz = sums.sumZ[i]! / c;
    meanZ[v] = mz;
    meanR[v] = sums.sumR[i]! / c;
    if (c < 2) continue;
    const ss = sums.sumZ2[i]! - c * mz * mz;
    const varZ = ss / (c - 1);
    t[v] = varZ > 1e-24 ? mz / Math.sqrt(varZ / c) : 0;
  }
  return { meanR, meanZ, t, n };
}

/** Serialise sums for storage (little-endian float64 ×3 then int32). */
export function encodeSums(s: SeedSums): Uint8Array {
  const L = s.S * s.V;
  const out = new Uint8Array(L * 28);
  out.set(new Uint8Array(s.sumZ.buffer, s.sumZ.byteOffset, L * 8), 0);
  out.set(new Uint8Array(s.sumZ2.buffer, s.sumZ2.byteOffset, L * 8), L * 8);
  out.set(new Uint8Array(s.sumR.buffer, s.sumR.byteOffset, L * 8), L * 16);
  out.set(new Uint8Array(s.n.buffer, s.n.byteOffset, L * 4), L * 24);
  return out;
}

export function decodeSums(bytes: Uint8Array, S: number, V: number): SeedSums {
  const L = S * V;
  if (bytes.byteLength !== L * 28) throw new InvalidParameter(`seed sums hold ${bytes.byteLength} bytes; expected ${L * 28} for ${S} seeds × ${V} voxels`);
  // views on the bytes when they are 8-byte aligned (a read's own buffer), else on a copy
  let buf = bytes.buffer;
  let at = bytes.byteOffset;
  if (at % 8 !== 0) {
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    buf = copy.buffer;
    at = 0;
  }
  return { S, V, sumZ: new Float64Array(buf, at, L), sumZ2: new Float64Array(buf, at + L * 8, L), sumR: new Float64Array(buf, at + L * 16, L), n: new Int32Array(buf, at + L * 24, L) };
}
