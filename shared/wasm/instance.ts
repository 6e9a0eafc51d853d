/**
 * The project's WebAssembly SIMD kernels (kernels.wat, embedded as bytes in
 * kernels.ts), instantiated over a caller-sized memory. Returns null where the
 * runtime lacks WebAssembly SIMD or the memory cannot be reserved; callers then
 * use their JavaScript twins, which give identical results.
 */
import { KERNELS_WASM_BASE64 } from './kernels.ts';

/** The slice of the WebAssembly JS API used here (the project's TypeScript lib has no DOM types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number; maximum: number }) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

export interface WasmKernels {
  memory: WasmMemory;
  /** see kernels.wat: pointers are byte offsets into `memory` */
  permAccumulate(e: number, V: number, n: number, p: number, qp: number, a: number, v0: number, bl: number, block: number): void;
  seedAccumulate(x: number, V: number, T: number, s: number, acc: number, sq: number, withSq: number, v0: number, v1: number): void;
}

/** Compiled modules by their embedded bytes (null: the runtime cannot compile them). */
const modules = new Map<string, object | null>();

function compiled(base64: string): object | null {
  const known = modules.get(base64);
  if (known !== undefined) return known;
  let mod: object | null = null;
  if (WA) {
    try {
      const bin = atob(base64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      mod = new WA.Module(bytes);
    } catch {
      mod = null;
    }
  }
  modules.set(base64, mod);
  return mod;
}

const PAGE = 65536;
/** wasm32 addresses 4 GiB; keep well inside it */
const MAX_BYTES = 2 ** 31;

/**
 * An instance of the module embedded as `base64` over a fresh memory of at least `bytes` bytes
 * (imported as env.memory); null where WebAssembly SIMD is missing or the memory cannot be reserved.
 */
export function instantiateWasm(base64: string, bytes: number, maxBytes = MAX_BYTES): { memory: WasmMemory; exports: Record<string, unknown> } | null {
  const mod = compiled(base64);
  if (!mod || !WA || !(bytes > 0 && bytes <= maxBytes)) return null;
  try {
    const pages = Math.max(1, Math.ceil(bytes / PAGE));
    const memory = new WA.Memory({ initial: pages, maximum: pages });
    const inst = new WA.Instance(mod, { env: { memory } });
    return { memory, exports: inst.exports };
  } catch {
    return null;
  }
}

/** Kernels over a fresh memory of at least `bytes` bytes (null: unavailable). */
export function wasmKernels(bytes: number): WasmKernels | null {
  const w = instantiateWasm(KERNELS_WASM_BASE64, bytes);
  return w && { memory: w.memory, permAccumulate: w.exports.permAccumulate as WasmKernels['permAccumulate'], seedAccumulate: w.exports.seedAccumulate as WasmKernels['seedAccumulate'] };
}
