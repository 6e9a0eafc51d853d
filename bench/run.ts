/**
 * `npm run bench`: speed of the hot kernels and of a whole local job, each printed
 * with the baseline it is compared with, measured in the same process.
 */
import { loadavg } from 'node:os';
import { glmBench } from './glm.ts';
import { smoothSpm } from '../shared/volume/smooth.ts';
import { stream } from '../shared/random.ts';
import { speedupBench, formatSpeedup } from './speedup.ts';
import { permutationBench, permutationReport } from './permutation.ts';
import { benchAle, benchAleJob } from './ale.ts';
import { rehoBench, rehoBenchLines, rehoJobBench, rehoJobBenchLine } from './reho.ts';
import { netmapBench } from './netmap.ts';
import { netmapSweepBench } from './netmap-sweep.ts';
import { txBenchReport } from './transcriptomics.ts';
import { ANCHORS, streamBandwidth } from './anchors.ts';
import { formatScale, glmScale, netmapScale } from './scale.ts';

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));

function line(name: string, value: string, baseline: string, ratio: number) {
  console.log(`${name.padEnd(46)} ${value.padStart(22)}   baseline ${baseline.padStart(22)}   ×${fmt(ratio)}`);
}

async function main() {
  const started = performance.now();
  console.log(`neuroburst bench — node ${process.version}, one core unless stated; load average at start ${loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
  const bw = streamBandwidth();
  console.log(`memory bandwidth (one core, STREAM-like 64 MB copy, read + write): ${(bw / 1e9).toFixed(1)} GB/s — the physical bounds below divide bytes touched by it\n`);
  const calib: string[] = [];

  // 1. GLM: 1.5 mm MNI-sized slab set (≈ 500k in-mask voxels), 74 subjects, design [2 groups, age, sex, TIV]
  const nVox = Number(process.env.BENCH_GLM_VOXELS ?? 500_000);
  const n = 74;
  const g = glmBench(nVox, n);
  const vs = (nVox * n) / g.fast;
  line('GLM fit + residuals (voxel·subjects/s/core)', `${(vs / 1e6).toFixed(1)} M`, `${((nVox * n) / g.naive / 1e6).toFixed(2)} M`, g.naive / g.fast);
  console.log(`   ${nVox} voxels × ${n} subjects × 5 columns: ${g.fast.toFixed(3)} s (per-voxel Gauss-Jordan baseline projected ${g.naive.toFixed(1)} s; max |Δt| ${g.maxDiff.toExponential(1)}); CPU ${g.fastCpu.toFixed(3)} s = ${((nVox * n) / g.fastCpu / 1e6).toFixed(1)} M voxel·subjects/s of CPU time`);
  calib.push(`glmMsPerVoxelSubjectColumn ≈ ${((g.fastCpu * 1000) / (nVox * n * 5)).toExponential(2)} (fit + residuals)`);

  // 2. SPM smoothing of one 1.5 mm MNI volume (121×145×121) vs a direct 3-D convolution of a small block
  const dims: [number, number, number] = [121, 145, 121];
  const rng = stream(5, 0);
  const vol = new Float32Array(dims[0] * dims[1] * dims[2]).map(() => rng.normal());
  smoothSpm(vol, dims, [1.5, 1.5, 1.5], 6);
  const s0 = performance.now();
  smoothSpm(vol, dims, [1.5, 1.5, 1.5], 6);
  const sep = (performance.now() - s0) / 1000;
  const direct = directConvolutionSecondsPerVoxel(6 / 1.5) * vol.length;
  line('SPM smoothing 121×145×121, 6 mm (s/volume)', `${sep.toFixed(3)} s`, `${direct.toFixed(1)} s`, direct / sep);

  // 3. Permutation inference: 74 subjects × ~200k voxels, 3 covariates, max-T + cluster extent/mass + TFCE
  const pb = permutationBench(Number(process.env.BENCH_PERMUTATIONS ?? 10));
  line('permutations/s/core (74 subj × 197k vox, 4 stats)', `${(1 / pb.fast).toFixed(2)} /s`, `${(1 / pb.naive).toFixed(3)} /s`, pb.naive / pb.fast);
  console.log(
    `   ${pb.voxels} voxels: ${(pb.fast * 1000).toFixed(0)} ms/permutation (straightforward loop projected ${pb.naive.toFixed(1)} s); ` +
      `10,000 permutations: ${((pb.fast * 10000) / 60).toFixed(1)} min on one core; on Lambda (cost model, ${pb.lambda10k.shards} shards) ` +
      `${pb.lambda10k.wallSeconds.toFixed(0)} s wall, $${pb.lambda10k.usd.toFixed(3)} (${pb.lambda10k.gbSeconds.toFixed(0)} GB-s)`,
  );
  for (const l of permutationReport(pb, bw)) console.log(l);
  calib.push(`permMsPerVoxelSubjectColumn ≈ ${((pb.refitCpu * 1000) / (pb.voxels * pb.subjects * 5)).toExponential(2)}`, `permMsPerVoxel ≈ ${(((pb.fastCpu - pb.refitCpu) * 1000) / pb.voxels).toExponential(2)}`);

  // 4. ALE Monte-Carlo on the pain dataset, and a whole 10,000-iteration job
  const ale = benchAle();
  line('ALE Monte-Carlo iterations/s/core (pain set)', `${(1 / ale.fast).toFixed(1)} /s`, `${(1 / ale.naive).toFixed(2)} /s`, ale.naive / ale.fast);
  {
    const a = ANCHORS.ale;
    // the dense formulation touches every kernel-box value (8 B read, q read + write) and two passes over the grid
    const denseBytes = ale.boxVoxels * 24 + ale.gridVoxels * 16;
    console.log(
      `   CPU ${(ale.fastCpu * 1000).toFixed(2)} ms/iteration = ${(1 / ale.fastCpu).toFixed(0)} iterations/s of CPU time (plain twin ${(ale.naiveCpu * 1000).toFixed(0)} ms, ×${fmt(ale.naiveCpu / ale.fastCpu)}); ` +
        `anchor: ${a.source}: ${a.secondsPerIteration1Core} s/iteration on 1 core (×${fmt(a.secondsPerIteration1Core / ale.fastCpu)} slower), ${a.secondsPerIteration2Cores} s on 2; ` +
        `bound: a dense pass over the ${(ale.boxVoxels / 1e6).toFixed(2)} M kernel-box values + grid = ${(denseBytes / 1e6).toFixed(0)} MB = ${((denseBytes / bw) * 1000).toFixed(1)} ms (block bounds skip most of it)`,
    );
    calib.push(`ALE_MS_PER_BOX_VOXEL ≈ ${((ale.fastCpu * 1000) / ale.boxVoxels).toExponential(2)}`);
  }
  {
    const aj = benchAleJob();
    console.log(`   10,000-iteration pain job on Lambda (cost model, ${aj.lambda.monteCarloShards} shards): ${aj.lambda.wallSeconds.toFixed(1)} s wall, $${aj.lambda.usd.toFixed(3)}; locally: measured whole in the local-jobs section below`);
  }

  // 5. ReHo per subject, 61×73×61 × 250 volumes
  const rh = rehoBench();
  line('ReHo per subject 61×73×61×250 (s/core)', `${rh.fast.toFixed(2)} s`, `${rh.naive.toFixed(1)} s`, rh.naive / rh.fast);
  for (const l of rehoBenchLines(rh, bw)) console.log(`   ${l}`);
  console.log(`   ${rehoJobBenchLine(await rehoJobBench())}`);

  // 6. Network mapping: 21 seeds × ~228k voxels × 124 time points (one connectome run)
  { const sw = netmapSweepBench(); line('netmap sweep 21 studies × 3 diameters (s)', `${sw.onePass.toFixed(2)} s one pass`, `${sw.threePasses.toFixed(2)} s 3 passes`, sw.threePasses / sw.onePass); }
  const nm = netmapBench();
  line('netmap seed-to-voxel r (voxel·seed·samples/s/core)', `${((nm.voxels * nm.seeds * nm.T) / nm.fast / 1e6).toFixed(0)} M`, `${((nm.voxels * nm.seeds * nm.T) / nm.naive / 1e6).toFixed(0)} M`, nm.naive / nm.fast);
  console.log(
    `   ${nm.seeds} seeds × ${nm.voxels} voxels × ${nm.T} time points: ${nm.fast.toFixed(2)} s per run (straightforward ${nm.naive.toFixed(1)} s); ` +
      `1000-subject connectome (2 runs) on Lambda (cost model, ${nm.lambda1000.shards} shards): ${nm.lambda1000.wallSeconds.toFixed(0)} s wall, $${nm.lambda1000.usd.toFixed(3)}`,
  );
  {
    const macs = nm.voxels * nm.seeds * nm.T;
    const bytes = nm.voxels * nm.T * 4;
    console.log(
      `   CPU ${(macs / nm.fastCpu / 1e9).toFixed(2)} G multiply-adds/s (WebAssembly SIMD; scalar twin ${(macs / nm.scalarCpu / 1e9).toFixed(2)} G, ×${fmt(nm.scalarCpu / nm.fastCpu)}); ` +
        `bound: the run (${(bytes / 1e6).toFixed(0)} MB float32) read once = ${((bytes / bw) * 1000).toFixed(0)} ms vs ${(nm.fastCpu * 1000).toFixed(0)} ms`,
    );
    calib.push(`netmapMsPerSampleVoxelSeed ≈ ${((nm.fastCpu * 1000) / macs).toExponential(2)}`);
  }

  await txBenchReport(line); // 6b. imaging transcriptomics at the study's scale (123 regions × 10,000 genes × 5,000 resamples each)

  // 7. Whole local jobs on 1 and 2 threads: glm demo (also with permutations), ALE 10,000 iterations, ReHo, netmap; each with its 1-thread profile (bench/speedup.ts)
  if (process.env.BENCH_SKIP_JOBS !== '1') {
    console.log('');
    for (const r of await speedupBench()) formatSpeedup(r, line);
  }
  // 8. Study scale on AWS: the Plan stage's estimates for 1,000-subject jobs (cost model, no data)
  console.log(`\n${formatScale('scale: glm job plan (2 mm MNI, 5 columns, 5,000 permutations)', glmScale())}\n${formatScale('scale: connectome sweep (netmap estimate)', netmapScale())}`);
  console.log(`\ncost-model constants from this run (CPU time; shared/jobs/cost.ts SPEED and the ALE planner): ${calib.join(', ')}`);
  console.log(`(pyls anchor for a future PLS line: ${ANCHORS.pyls.source}: ${ANCHORS.pyls.seconds} s)`);
  console.log(`\nbench done in ${((performance.now() - started) / 1000).toFixed(0)} s; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}

/** Direct (non-separable) convolution cost per output voxel, measured on a small block. */
function directConvolutionSecondsPerVoxel(fwhmVox: number): number {
  const sigma = fwhmVox / Math.sqrt(8 * Math.log(2));
  const r = Math.round(6 * sigma);
  const w = 2 * r + 1;
  const k = new Float64Array(w * w * w).fill(1 / (w * w * w));
  const nb = 24;
  const src = new Float32Array(nb * nb * nb).fill(1);
  const t0 = performance.now();
  let acc = 0;
  const samples = 200;
  for (let s = 0; s < samples; s++) {
    let sum = 0;
    for (let dz = 0; dz < w; dz++) for (let dy = 0; dy < w; dy++) for (let dx = 0; dx < w; dx++) sum += k[dx + w * (dy + w * dz)]! * src[(dx % nb) + nb * ((dy % nb) + nb * (dz % nb))]!;
    acc += sum;
  }
  if (acc < 0) console.log(acc);
  return (performance.now() - t0) / 1000 / samples;
}

await main();
