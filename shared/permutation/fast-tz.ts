/**
 * Fast t → z for one fixed df: a cubic Hermite table on |t| ≤ T_TABLE with exact
 * values and exact derivatives (dz/dt = f_t(t) / φ(z)) at the knots, and the exact
 * conversion beyond. Permutation inference converts every voxel of every
 * permutation, so this replaces ~10⁹ special-function calls with a table lookup.
 * Interpolation error is below 1e-9 in z for df ≥ 1 (tested against `tToZ`).
 */
import { tToZ } from '../stats/distributions.ts';
import { gammaLn } from '../stats/distributions.ts';

const T_TABLE = 12;
const STEPS_PER_UNIT = 256;

export interface TToZ {
  df: number;
  /** z with the same tail probability as t; odd in t. */
  z(t: number): number;
}

function tDensity(t: number, df: number, logC: number): number {
  return Math.exp(logC - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

export function makeTToZ(df: number): TToZ {
  if (df === Infinity) return { df, z: (t) => t };
  const n = T_TABLE * STEPS_PER_UNIT;
  const zs = new Float64Array(n + 1);
  const ds = new Float64Array(n + 1);
  const logC = gammaLn((df + 1) / 2) - gammaLn(df / 2) - 0.5 * Math.log(df * Math.PI);
  const h = 1 / STEPS_PER_UNIT;
  for (let i = 0; i <= n; i++) {
    const t = i * h;
    const z = tToZ(t, df);
    zs[i] = z;
    const phi = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
    ds[i] = (tDensity(t, df, logC) / phi) * h; // derivative scaled to the unit interval
  }
  const zPos = (t: number): number => {
    if (!(t < T_TABLE)) return tToZ(t, df);
    const x = t * STEPS_PER_UNIT;
    const i = Math.floor(x);
    const u = x - i;
    const z0 = zs[i]!;
    const z1 = zs[i + 1]!;
    const d0 = ds[i]!;
    const d1 = ds[i + 1]!;
    const u2 = u * u;
    const u3 = u2 * u;
    return (2 * u3 - 3 * u2 + 1) * z0 + (u3 - 2 * u2 + u) * d0 + (-2 * u3 + 3 * u2) * z1 + (u3 - u2) * d1;
  };
  return {
    df,
    z(t: number) {
      if (Number.isNaN(t)) return NaN;
      return t >= 0 ? zPos(t) : -zPos(-t);
    },
  };
}
