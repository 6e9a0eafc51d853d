/**
 * The ReHo WebAssembly SIMD kernels (clean-kernels.wat for SeriesCleaner, kcc-kernels.wat for
 * kendallWCentred; embedded as bytes in clean-kernels.ts / kcc-kernels.ts), each instantiated
 * over a caller-sized memory. Returns null where the runtime lacks WebAssembly SIMD or the memory
 * cannot be reserved; callers then run their JavaScript paths, which give identical results.
 */
import { CLEAN_KERNELS_WASM_BASE64 } from './clean-kernels.ts';
import { KCC_KERNELS_WASM_BASE64 } from './kcc-kernels.ts';
import { instantiateWasm, type WasmMemory } from '../wasm/instance.ts';

export interface CleanKernels {
  memory: WasmMemory;
  /** out[j] = Σ_t pinv[j·T + t]·z_t, both lanes (byte offsets) */
  beta(z: number, pinv: number, T: number, p: number, out: number): void;
  /** in-place radix-2 FFT of n interleaved complex values (byte offsets; inv ≠ 0: unscaled inverse) */
  fft(z: number, n: number, wr: number, wfi: number, rev: number, inv: number): void;
  /** the band correction sums at P kept bins (see clean-kernels.wat) */
  correct(bz: number, p1: number, ft: number, pos: number, P: number, d: number, f1r: number, f1i: number, out: number): void;
}

export interface KccKernels {
  memory: WasmMemory;
  /** dst = a + b + c over n Int16 lanes (n a multiple of 8; byte offsets) */
  add3(dst: number, a: number, b: number, c: number, n: number): void;
  /** Σ (a + b + c)² over n Int16 lanes, exact */
  sumsq3(a: number, b: number, c: number, n: number): number;
  /** centred doubled ranks of n f64 at x into n Int16 at out; 0: not done (use the merge sort) */
  rank(x: number, n: number, out: number, of: number, start: number, vals: number, idx: number, limit: number): number;
}

/** SeriesCleaner's kernels over a fresh memory of at least `bytes` bytes (null: unavailable). */
export function cleanKernels(bytes: number): CleanKernels | null {
  const w = instantiateWasm(CLEAN_KERNELS_WASM_BASE64, bytes, 2 ** 30);
  return w && { memory: w.memory, beta: w.exports.beta as CleanKernels['beta'], fft: w.exports.fft as CleanKernels['fft'], correct: w.exports.correct as CleanKernels['correct'] };
}

/** kendallWCentred's kernels over a fresh memory of at least `bytes` bytes (null: unavailable). */
export function kccKernels(bytes: number): KccKernels | null {
  const w = instantiateWasm(KCC_KERNELS_WASM_BASE64, bytes, 2 ** 30);
  return w && { memory: w.memory, add3: w.exports.add3 as KccKernels['add3'], sumsq3: w.exports.sumsq3 as KccKernels['sumsq3'], rank: w.exports.rank as KccKernels['rank'] };
}
