/**
 * Seeded random streams. Stream k of a job is a pure function of (seed, k), so
 * permutation, bootstrap or relocation number k draws the same numbers whichever
 * worker runs it. Generator: sfc32 (Doty-Humphrey small fast counting RNG) keyed by
 * a murmur3-style mix of (seed, k).
 */
/** murmur3 finaliser: a 32-bit avalanche mix. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface Rng {
  /** uniform in [0, 1) with 32 random bits */
  next(): number;
  /** integer in [0, n) without modulo bias */
  int(n: number): number;
  /** standard normal (Box–Muller, both values used) */
  normal(): number;
}

export function stream(seed: number, k: number): Rng {
  let a = mix32((seed >>> 0) ^ 0x9e3779b9);
  let b = mix32((k >>> 0) ^ 0x7f4a7c15);
  let c = mix32(a ^ Math.imul(b, 0x27d4eb2d) ^ Math.floor(k / 0x100000000));
  let d = 1;
  const u32 = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) u32();
  let spare: number | undefined;
  const next = () => u32() / 4294967296;
  return {
    next,
    int(n: number) {
      const limit = 4294967296 - (4294967296 % n);
      let x = u32();
      while (x >= limit) x = u32();
      return x % n;
    },
    normal() {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
  };
}
