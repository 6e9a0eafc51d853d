/**
 * The in-mask voxels of a grid as a graph: compact index (ascending grid order) and
 * neighbour lists in CSR form. Permutation statistics label clusters and build TFCE
 * thousands of times on the same mask, so neighbours are found once here and every
 * later pass is a sweep over flat Int32Arrays.
 */
import { InvalidParameter } from '../errors.ts';
import { checkConnectivity, checkDims, neighbourOffsets, type Connectivity } from '../volume/components.ts';

export interface Lattice {
  dims: [number, number, number];
  connectivity: Connectivity;
  /** in-mask voxel count */
  V: number;
  /** grid index of each compact voxel, ascending */
  index: Int32Array;
  /** neighbours of compact voxel v: nbr[start[v] .. start[v+1]) (compact indices, ascending) */
  start: Int32Array;
  nbr: Int32Array;
}

export function buildLattice(mask: Uint8Array, dims: readonly [number, number, number], connectivity: Connectivity): Lattice {
  const N = checkDims(dims);
  checkConnectivity(connectivity);
  if (mask.length !== N) throw new InvalidParameter(`mask has ${mask.length} voxels; dims [${dims.join(', ')}] need ${N}`);
  const [nx, ny, nz] = dims;
  const compact = new Int32Array(N).fill(-1);
  let V = 0;
  for (let g = 0; g < N; g++) if (mask[g] !== 0) compact[g] = V++;
  const index = new Int32Array(V);
  for (let g = 0; g < N; g++) if (compact[g]! >= 0) index[compact[g]!] = g;
  const offs = neighbourOffsets(connectivity).sort((a, b) => a[2] - b[2] || a[1] - b[1] || a[0] - b[0]);
  const start = new Int32Array(V + 1);
  const tmp = new Int32Array(V * offs.length);
  let e = 0;
  for (let v = 0; v < V; v++) {
    start[v] = e;
    const g = index[v]!;
    const x = g % nx;
    const y = Math.floor(g / nx) % ny;
    const z = Math.floor(g / (nx * ny));
    for (const [dx, dy, dz] of offs) {
      const xx = x + dx;
      const yy = y + dy;
      const zz = z + dz;
      if (xx < 0 || xx >= nx || yy < 0 || yy >= ny || zz < 0 || zz >= nz) continue;
      const u = compact[xx + nx * (yy + ny * zz)]!;
      if (u >= 0) tmp[e++] = u;
    }
  }
  start[V] = e;
  return { dims: [nx, ny, nz], connectivity, V, index, start, nbr: tmp.slice(0, e) };
}

/** Scatter a compact vector into a grid-sized Float32Array (0 outside the mask). */
export function toGrid(lat: Lattice, values: ArrayLike<number>, out?: Float32Array): Float32Array {
  const [nx, ny, nz] = lat.dims;
  const grid = out ?? new Float32Array(nx * ny * nz);
  for (let v = 0; v < lat.V; v++) grid[lat.index[v]!] = values[v]!;
  return grid;
}

/** The lattice on a grid padded by one voxel on every side, so neighbours are fixed index offsets. */
export interface PaddedLattice {
  /** padded grid size */
  N: number;
  /** padded grid index of each compact voxel */
  index: Int32Array;
  /** compact index of each padded grid voxel (−1 outside the mask) */
  compactOf: Int32Array;
  /** neighbour offsets in the padded grid, ascending (the order of `nbr`) */
  offsets: Int32Array;
}

const padded = new WeakMap<Lattice, PaddedLattice>();

/** Padded-grid view of a lattice (built once per lattice). */
export function paddedLattice(lat: Lattice): PaddedLattice {
  const hit = padded.get(lat);
  if (hit) return hit;
  const [nx, ny, nz] = lat.dims;
  const px = nx + 2;
  const py = ny + 2;
  const N = px * py * (nz + 2);
  const index = new Int32Array(lat.V);
  const compactOf = new Int32Array(N).fill(-1);
  for (let v = 0; v < lat.V; v++) {
    const g = lat.index[v]!;
    const x = g % nx;
    const y = Math.floor(g / nx) % ny;
    const z = Math.floor(g / (nx * ny));
    const pg = x + 1 + px * (y + 1 + py * (z + 1));
    index[v] = pg;
    compactOf[pg] = v;
  }
  const offsets = Int32Array.from(neighbourOffsets(lat.connectivity).map(([dx, dy, dz]) => dx + px * (dy + py * dz))).sort();
  const out = { N, index, compactOf, offsets };
  padded.set(lat, out);
  return out;
}
