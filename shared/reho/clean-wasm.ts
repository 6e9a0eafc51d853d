/**
 * SeriesCleaner's WebAssembly SIMD kernels (clean-kernels.wat, embedded as bytes in
 * clean-kernels.ts) over a caller-sized memory. Returns null where the runtime lacks
 * WebAssembly SIMD or the memory cannot be reserved; SeriesCleaner then runs its JavaScript
 * path, which gives bit-identical results.
 */
import { CLEAN_KERNELS_WASM_BASE64 } from './clean-kernels.ts';

interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number; maximum: number }) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

export interface CleanKernels {
  memory: WasmMemory;
  /** out[j] = Σ_t pinv[j·T + t]·z_t, both lanes (byte offsets) */
  beta(z: number, pinv: number, T: number, p: number, out: number): void;
  /** in-place radix-2 FFT of n interleaved complex values (byte offsets; inv ≠ 0: unscaled inverse) */
  fft(z: number, n: number, wr: number, wfi: number, rev: number, inv: number): void;
}

let module: object | null | undefined;

function compiled(): object | null {
  if (module !== undefined) return module;
  if (!WA) return (module = null);
  try {
    const bin = atob(CLEAN_KERNELS_WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    module = new WA.Module(bytes);
  } catch {
    module = null;
  }
  return module;
}

/** Kernels over a fresh memory of at least `bytes` bytes (null: unavailable). */
export function cleanKernels(bytes: number): CleanKernels | null {
  const mod = compiled();
  if (!mod || !WA || !(bytes > 0 && bytes <= 2 ** 30)) return null;
  try {
    const pages = Math.max(1, Math.ceil(bytes / 65536));
    const memory = new WA.Memory({ initial: pages, maximum: pages });
    const inst = new WA.Instance(mod, { env: { memory } });
    return { memory, beta: inst.exports.beta as CleanKernels['beta'], fft: inst.exports.fft as CleanKernels['fft'] };
  } catch {
    return null;
  }
}
