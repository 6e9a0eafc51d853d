/**
 * Network-mapping sweep: 21 studies × 3 sphere diameters (3, 6, 9 mm) mapped in ONE pass
 * over the connectome subjects (each subject file decoded once, all 63 seeds correlated
 * together) against three separate passes of 21 seeds each (what three jobs do), on a
 * synthetic 2 mm-like connectome slab. The two give identical sums (checked); the ratio is
 * measured in the same process.
 *
 *   node bench/netmap-sweep.ts          (or as part of `npm run bench`)
 */
import { pathToFileURL } from 'node:url';
import { stream } from '../shared/random.ts';
import { addSubject, emptySums, type Seed, type SeedSums } from '../shared/netmap/correlate.ts';
import { subjectRuns } from '../shared/netmap/connectome.ts';
import { SPEED } from '../shared/jobs/cost.ts';

export interface NetmapSweepBench {
  voxels: number;
  subjects: number;
  studies: number;
  diameters: number[];
  /** seconds: one pass with every geometry, three passes of one diameter each */
  onePass: number;
  threePasses: number;
  identical: boolean;
  /** cost-model projection (Lambda ms summed over shards) for a 1000-subject connectome */
  model: { onePassMs: number; threePassesMs: number };
}

/** Seeds of a study at a diameter: a ball of voxels around a centre on an nx × ny × nz block (compact index = grid index). */
function ball(centre: [number, number, number], diameterVox: number, dims: [number, number, number]): Seed {
  const [nx, ny, nz] = dims;
  const r = diameterVox / 2;
  const idx: number[] = [];
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if ((i - centre[0]) ** 2 + (j - centre[1]) ** 2 + (k - centre[2]) ** 2 <= r * r) idx.push(i + nx * (j + ny * k));
  return { index: Int32Array.from(idx), weight: new Float64Array(idx.length).fill(1) };
}

export function netmapSweepBench(subjects = Number(process.env.BENCH_SWEEP_SUBJECTS ?? 3), dims: [number, number, number] = [40, 48, 20], T = 100): NetmapSweepBench {
  const V = dims[0] * dims[1] * dims[2];
  const rng = stream(11, 0);
  const files: Uint8Array[] = [];
  for (let s = 0; s < subjects; s++) {
    const data = new Float32Array(2 * T * V);
    for (let i = 0; i < data.length; i++) data[i] = rng.normal();
    files.push(new Uint8Array(data.buffer));
  }
  const centres: [number, number, number][] = Array.from({ length: 21 }, () => [4 + rng.int(dims[0] - 8), 4 + rng.int(dims[1] - 8), 4 + rng.int(dims[2] - 8)]);
  // 2 mm voxels: 3, 6, 9 mm diameters
  const diameters = [3, 6, 9];
  const seedsAt = diameters.map((d) => centres.map((c) => ball(c, d / 2, dims)));
  const pass = (seeds: Seed[]): SeedSums => {
    const sums = emptySums(seeds.length, V);
    for (const bytes of files) addSubject(subjectRuns(bytes, [T, T], V, 'bench subject'), V, seeds, sums);
    return sums;
  };
  // warm-up on one subject, then alternate the order (three passes first) so JIT warm-up does not favour either
  addSubject(subjectRuns(files[0]!, [T, T], V, 'bench subject'), V, seedsAt[0]!.slice(0, 5), emptySums(5, V));
  const t1 = performance.now();
  const three = seedsAt.map((seeds) => pass(seeds));
  const threePasses = (performance.now() - t1) / 1000;
  const t0 = performance.now();
  const one = pass(seedsAt.flat());
  const onePass = (performance.now() - t0) / 1000;
  let identical = true;
  three.forEach((sums, d) => {
    const off = d * 21 * V;
    for (let i = 0; i < sums.sumZ.length && identical; i++) if (sums.sumZ[i] !== one.sumZ[off + i] || sums.n[i] !== one.n[off + i]) identical = false;
  });
  // the cost model's projection of a 1000-subject, 2 × 124-sample, 228k-voxel connectome read from storage on Lambda:
  // a pass costs samples·V·((seeds + 1)·correlate + read); one pass of 63 seeds vs three of 21
  const samples = 1000 * 2 * 124 * 228_483;
  const passMs = (seeds: number) => samples * ((seeds + 1) * SPEED.netmapMsPerSampleVoxelSeed + SPEED.readMsPerValue);
  return { voxels: V, subjects, studies: 21, diameters, onePass, threePasses, identical, model: { onePassMs: passMs(63), threePassesMs: 3 * passMs(21) } };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const b = netmapSweepBench();
  console.log(`netmap sweep, 21 studies × diameters ${b.diameters.join('/')} mm, ${b.subjects} subjects × 2 runs, ${b.voxels} voxels (in memory): one pass ${b.onePass.toFixed(2)} s, three passes ${b.threePasses.toFixed(2)} s, ×${(b.threePasses / b.onePass).toFixed(2)}; sums identical: ${b.identical}`);
  console.log(`   cost model, 1000 subjects from storage: one pass ${(b.model.onePassMs / 3.6e6).toFixed(1)} Lambda-h, three passes ${(b.model.threePassesMs / 3.6e6).toFixed(1)} Lambda-h, ×${(b.model.threePassesMs / b.model.onePassMs).toFixed(2)}`);
}
