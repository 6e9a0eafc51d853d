/**
 * The kept edges of TFCE's union–find (see tfce.ts): for each in-mask voxel v in grid
 * order and each forward neighbour u (positive offset on the padded grid), the edge's
 * weight m = min(level_v, level_u), dropped when m = 0 or when a witness c — a common
 * neighbour of v and u reached from both through edges with fewer non-zero offset
 * components — has level_c ≥ m. Kept edges go to (tmpU, tmpW) in grid order, those of
 * voxel v at vStart[v] … vStart[v + 1] − 1; returns how many were kept.
 *
 * `keptEdgesGeneric` reads offsets and witnesses from lists (any connectivity);
 * `keptEdges26` is the same computation written out for the 13 forward edges of
 * 26-connectivity (17 neighbour levels loaded once per voxel, branch-free
 * minimum / maximum / keep, every candidate stored and the write position
 * advanced only when kept), which is where permutation inference spends its time.
 * Both emit the same edges in the same order (tested). The buffers grow (doubling,
 * checked once per voxel) when a map keeps more edges than they hold.
 */

export interface EdgeBuffers {
  /** length V + 1 */
  vStart: Int32Array;
  tmpU: Int32Array;
  tmpW: Int32Array;
}

/** Room for `need` edges, keeping the first n. */
function grow(b: EdgeBuffers, n: number, need: number): void {
  const len = Math.max(need, 2 * b.tmpU.length);
  const u = new Int32Array(len);
  const w = new Int32Array(len);
  u.set(b.tmpU.subarray(0, n));
  w.set(b.tmpW.subarray(0, n));
  b.tmpU = u;
  b.tmpW = w;
}

/** max of two int32 without a branch */
function imax(a: number, b: number): number {
  const d = a - b;
  return a - (d & (d >> 31));
}

/** min(l0, lu) if it exceeds the witnesses' maximum wm, else 0 (levels are ≥ 0) */
function weight(l0: number, lu: number, wm: number): number {
  const d = l0 - lu;
  const m = lu + (d & (d >> 31));
  return m & ((wm - m) >> 31);
}

export function keptEdgesGeneric(
  V: number,
  level: Int32Array,
  pIndex: Int32Array,
  compactOf: Int32Array,
  levelGrid: Int32Array,
  forward: Int32Array,
  wStart: Int32Array,
  witness: Int32Array,
  b: EdgeBuffers,
): number {
  const { vStart } = b;
  let { tmpU, tmpW } = b;
  const nF = forward.length;
  let n = 0;
  for (let v = 0; v < V; v++) {
    vStart[v] = n;
    const lv = level[v]!;
    if (lv === 0) continue;
    if (n + nF > tmpU.length) {
      grow(b, n, n + nF);
      ({ tmpU, tmpW } = b);
    }
    const pg = pIndex[v]!;
    for (let o = 0; o < nF; o++) {
      const gu = pg + forward[o]!;
      const lu = levelGrid[gu]!;
      if (lu === 0) continue;
      const m = lu < lv ? lu : lv;
      let kept = true;
      for (let j = wStart[o]!, je = wStart[o + 1]!; j < je; j++) {
        if (levelGrid[pg + witness[j]!]! >= m) {
          kept = false;
          break;
        }
      }
      if (!kept) continue;
     
      tmpU[n] = compactOf[gu]!;
      tmpW[n++] = m;
    }
  }
  vStart[V] = n;
  return n;
}

/** keptEdgesGeneric for 26-connectivity on a padded grid of row length y and slice size z. */
export function keptEdges26(V: number, level: Int32Array, pIndex: Int32Array, compactOf: Int32Array, G: Int32Array, y: number, z: number, b: EdgeBuffers): number {
  const { vStart } = b;
  let { tmpU, tmpW } = b;
  let n = 0;
  let m = 0;
  for (let v = 0; v < V; v++) {
    vStart[v] = n;
    const l0 = level[v]!;
    if (l0 === 0) continue;
    // 13 candidates, each stored before the position decides whether it stays
    if (n + 14 > tmpU.length) {
      grow(b, n, n + 14);
      ({ tmpU, tmpW } = b);
    }
    const g = pIndex[v]!;
    const lmm0 = G[g - y - 1]!, l0m0 = G[g - y]!, lpm0 = G[g - y + 1]!, lm00 = G[g - 1]!, lp00 = G[g + 1]!, lmp0 = G[g + y - 1]!, l0p0 = G[g + y]!, lpp0 = G[g + y + 1]!;
    const lmmp = G[g + z - y - 1]!, l0mp = G[g + z - y]!, lpmp = G[g + z - y + 1]!, lm0p = G[g + z - 1]!, l00p = G[g + z]!, lp0p = G[g + z + 1]!, lmpp = G[g + z + y - 1]!, l0pp = G[g + z + y]!, lppp = G[g + z + y + 1]!;
    m = weight(l0, lp00, 0); tmpU[n] = compactOf[g + 1]!; tmpW[n] = m; n += (0 - m) >>> 31;
    m = weight(l0, lmp0, imax(lm00, l0p0)); tmpU[n] = compactOf[g + y - 1]!; tmpW[n] = m; n += (0 - m) >>> 31;
    m = weight(l0, l0p0, 0); tmpU[n] = compactOf[g + y]!; tmpW[n] = m; n += (0 - m) >>> 31;
    m = weight(l0, lpp0, imax(lp00, l0p0)); tmpU[n] = compactOf[g + y + 1]!; tmpW[n] = m; n += (0 - m) >>> 31;
    m = weight(l0, lmmp, imax(imax(imax(imax(imax(lm00, l0m0), lmm0), l00p), lm0p), l0mp)); tmpU[n] = compactOf[g + z - y - 1]!; tmpW[n] = m; n += (0 - m) >>> 31;
    m = weight(l0, l0mp, imax(l0m0, l00p)); tmpU[n] = compactOf[g + z - y]!; tmpW[n] = m; n += (0 - m) >>> 31;
    m = weight(l0, lpmp, imax(imax(imax(imax(imax(lp00, l0m0), lpm0), l00p), lp0p), l0mp)); tmpU[n] = compactOf[g + z - y + 1]!; tmpW[n] = m; n += (0 - m) >>> 31;
    m = weight(l0, lm0p, imax(lm00, l00p)); tmpU[n] = compactOf[g + z - 1]!; tmpW[n] = m; n += (0 - m) >>> 31;
    m = weight(l0, l00p, 0); tmpU[n] = compactOf[g + z]!; tmpW[n] = m; n += (0 - m) >>> 31;
    m = weight(l0, lp0p, imax(lp00, l00p)); tmpU[n] = compactOf[g + z + 1]!; tmpW[n] = m; n += (0 - m) >>> 31;
    m = weight(l0, lmpp, imax(imax(imax(imax(imax(lm00, l0p0), lmp0), l00p), lm0p), l0pp)); tmpU[n] = compactOf[g + z + y - 1]!; tmpW[n] = m; n += (0 - m) >>> 31;
    m = weight(l0, l0pp, imax(l0p0, l00p)); tmpU[n] = compactOf[g + z + y]!; tmpW[n] = m; n += (0 - m) >>> 31;
    m = weight(l0, lppp, imax(imax(imax(imax(imax(lp00, l0p0), lpp0), l00p), lp0p), l0pp)); tmpU[n] = compactOf[g + z + y + 1]!; tmpW[n] = m; n += (0 - m) >>> 31;
  }
  vStart[V] = n;
  return n;
}
