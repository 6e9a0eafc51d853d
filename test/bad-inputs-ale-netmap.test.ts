/**
 * The bad-input corpus for ALE and netmap: each case a tiny synthetic job, refused by name in
 * Validate (before any fan-out) naming the offending field or file, or accepted with a warning
 * in result.json and the CLI summary (test/helpers/bad-input-corpus.ts checks both).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeCorpus, type BadCase } from './helpers/bad-input-corpus.ts';
import {
  ALE_EXPERIMENTS,
  aleJob,
  aleMask,
  ballOnConnectome,
  connectomeMaskData,
  netmapJob,
  onConnectomeGrid,
  sleuthText,
  type SleuthExperiment,
} from './helpers/bad-inputs-ale-netmap.ts';

const withExp = (i: number, change: Partial<SleuthExperiment>): SleuthExperiment[] => ALE_EXPERIMENTS.map((e, k) => (k === i ? { ...e, ...change } : e));
const PASSWD = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n';

const ale: BadCase[] = [
  // --- accepted with a warning ---
  { name: 'a focus outside the mask (kept, counted per experiment)', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(1, { foci: [[8, -10, 12], [-12, 12, -10], [60, 0, 0], [0, 80, 0]] })) }), warning: /experiment "Beta 2003: task": 2 foci lie outside inputs\.mask/ },
  { name: 'a focus at 1e999 (dropped, counted)', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(2, { foci: [[10, -12, 10], ['1e999', 0, 0], [-8, 10, -6]] })) }), warning: /experiment "Gamma 2005: task": 1 focus of 3 dropped/ },
  { name: 'a focus at 1e300 mm (would wrap the voxel index; dropped)', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(0, { foci: [[10, -10, 10], [1e300, 0, 0]] })) }), warning: /experiment "Alpha 2001: task": 1 focus of 2 dropped/ },
  { name: 'the default fweAlpha 0.01 unreachable with 30 iterations (empty map, warned)', build: (d) => aleJob(d, { params: { iterations: 30, fweAlpha: [0.05, 0.01] } }), warning: /params\.fweAlpha 0\.01 \(needs at least 101 iterations\)/ },
  { name: 'a second Reference line (ignored, warned)', build: (d) => aleJob(d, { coordinates: sleuthText(ALE_EXPERIMENTS).replace('// Beta 2003', '// Reference=Talairach\n// Beta 2003') }), warning: /a second Reference line/ },
  // --- refused: the mask ---
  { name: 'a mask that contains no focus', build: (d) => aleJob(d, { mask: aleMask((i, j, k) => i < 3 && j < 3 && k < 3) }), error: 'EmptyData', input: 'inputs.mask', message: /none of the \d+ foci .* inside inputs\.mask/ },
  { name: 'an all-zero mask', build: (d) => aleJob(d, { mask: aleMask(() => false) }), error: 'EmptyData', input: 'inputs.mask' },
  { name: 'a 4-D mask', build: (d) => aleJob(d, { mask: aleMask(undefined, 2) }), error: 'InvalidParameter', input: 'inputs.mask', message: /3-D/ },
  { name: 'a mask that is not NIfTI (contents not echoed)', build: (d) => aleJob(d, { mask: new TextEncoder().encode(PASSWD) }), error: 'InvalidNifti', input: 'inputs.mask', notInMessage: ['root', 'daemon'] },
  { name: 'a missing mask file', build: (d) => aleJob(d, { mask: null, inputs: { mask: 'nope.nii.gz' } }), error: 'MissingInput', input: 'inputs.mask' },
  { name: 'an anisotropic mask', build: (d) => aleJob(d, { mask: null, inputs: { mask: 'aniso.nii.gz' }, files: { 'aniso.nii.gz': anisotropicMask() } }), error: 'InvalidParameter', input: 'inputs.mask', message: /isotropic/ },
  { name: 'an atlas on another grid', build: (d) => aleJob(d, { inputs: { atlas: 'atlas.nii.gz' }, files: { 'atlas.nii.gz': onConnectomeGrid(new Float32Array(24 * 28 * 24)) } }), error: 'SpaceMismatch', input: 'inputs.atlas' },
  // --- refused: parameters ---
  { name: 'fweAlpha 0.001 with 100 iterations', build: (d) => aleJob(d, { params: { iterations: 100, fweAlpha: [0.001] } }), error: 'InvalidParameter', input: 'params.fweAlpha', message: /at least 1001 iterations/ },
  { name: 'fweAlpha [0.05, 0.005] with 150 iterations (the second unreachable)', build: (d) => aleJob(d, { params: { iterations: 150, fweAlpha: [0.05, 0.005] } }), error: 'InvalidParameter', input: 'params.fweAlpha', message: /0\.005 \(needs at least 201 iterations\)/ },
  { name: 'fweAlpha 0 (schema)', build: (d) => aleJob(d, { params: { fweAlpha: [0] } }), error: 'InvalidJobSpec', input: /params\.fweAlpha/ },
  { name: 'iterations below the minimum', build: (d) => aleJob(d, { params: { iterations: 3 } }), error: 'InvalidJobSpec', input: /params\.iterations/ },
  { name: 'clusterFormingP 1', build: (d) => aleJob(d, { params: { clusterFormingP: 1 } }), error: 'InvalidJobSpec', input: /params\.clusterFormingP/ },
  { name: 'an unknown parameter', build: (d) => aleJob(d, { params: { kernel: 'fixed' } }), error: 'InvalidJobSpec', input: /params\.kernel/ },
  { name: 'contrast settings without a second coordinate set', build: (d) => aleJob(d, { params: { contrast: { iterations: 100 } } }), error: 'InvalidParameter', input: 'params.contrast' },
  { name: 'contrast permutations too few for the contrast p', build: (d) => aleJob(d, { inputs: { coordinates2: 'coords.txt' }, params: { contrast: { iterations: 500 } } }), error: 'InvalidParameter', input: 'params.contrast.iterations', message: /at least 1001/ },
  { name: 'a jackknife with two experiments', build: (d) => aleJob(d, { coordinates: sleuthText(ALE_EXPERIMENTS.slice(0, 2)), params: { jackknife: true } }), error: 'InvalidParameter', input: 'params.jackknife' },
  // --- refused: the coordinates ---
  { name: 'duplicate experiment ids (Sleuth), naming the id and lines', build: (d) => aleJob(d, { coordinates: sleuthText([...ALE_EXPERIMENTS, ALE_EXPERIMENTS[1]!]) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /"Beta 2003: task" appears 2 times \(line 8, line 23\)/ },
  { name: 'duplicate experiment ids (NiMARE JSON)', build: (d) => aleJob(d, { coordinatesName: 'coords.json', coordinates: JSON.stringify(nimare({ 'a-1': { x: 'c' }, a: { '1-x': 'c' } })) }), error: 'InvalidCoordinates', input: 'coords.json', message: /"a-1-x" appears 2 times/ },
  { name: 'duplicate analysis ids (NIMADS studyset)', build: (d) => aleJob(d, { coordinatesName: 'coords.json', coordinates: JSON.stringify(nimads([['s1', 'a1'], ['s1', 'a1']])) }), error: 'InvalidCoordinates', input: 'coords.json', message: /"s1-a1" appears 2 times \(studies\[0\]\.analyses\[0\], studies\[1\]\.analyses\[0\]\)/ },
  { name: 'a non-numeric coordinate', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(0, { foci: [[10, -10, 'dog']] })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /line 4: "dog" is not a number/ },
  { name: 'hexadecimal 0x5f0 as a coordinate', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(0, { foci: [[10, -10, '0x5f0']] })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /"0x5f0" is not a number/ },
  { name: 'a focus row with two values', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(0, { foci: [[10, -10]] })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /line 4: .*found 2 value/ },
  { name: 'a focus row with four values', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(0, { foci: [[10, -10, 4, 5]] })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /found 4 value/ },
  { name: 'sample size 0', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(1, { n: 0 })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /line 9: "\/\/ Subjects=" needs a positive whole number/ },
  { name: 'a negative sample size', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(1, { n: -4 })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /Subjects=/ },
  { name: 'a fractional sample size', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(1, { n: 12.5 })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /positive whole number/ },
  { name: 'NiMARE sample size 0', build: (d) => aleJob(d, { coordinatesName: 'coords.json', coordinates: JSON.stringify(nimare({ a: { '1': 'c' }, b: { '1': 'c' } }, 0)) }), error: 'InvalidCoordinates', input: 'coords.json', message: /sample_sizes/ },
  { name: 'a missing Subjects line', build: (d) => aleJob(d, { coordinates: sleuthText(ALE_EXPERIMENTS).replace('// Subjects=22\n', '') }), error: 'InvalidCoordinates', input: 'coords.txt', message: /line 9: a focus row before the experiment.s "\/\/ Subjects=N" line/ },
  { name: 'no Reference line', build: (d) => aleJob(d, { coordinates: sleuthText(ALE_EXPERIMENTS).replace('// Reference=MNI\n', '') }), error: 'InvalidCoordinates', input: 'coords.txt', message: /must start with/ },
  { name: 'an unknown reference space', build: (d) => aleJob(d, { coordinates: sleuthText(ALE_EXPERIMENTS, 'Dog') }), error: 'InvalidCoordinates', input: 'coords.txt', message: /unknown reference space/ },
  { name: 'an experiment with no foci', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(2, { foci: [] })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /has no foci/ },
  { name: 'a single experiment', build: (d) => aleJob(d, { coordinates: sleuthText(ALE_EXPERIMENTS.slice(0, 1)) }), error: 'EmptyData', input: 'inputs.coordinates' },
  { name: 'every focus of an experiment at 1e999', build: (d) => aleJob(d, { coordinates: sleuthText(withExp(3, { foci: [['1e999', 0, 0]] })) }), error: 'InvalidCoordinates', input: 'coords.txt', message: /"Delta 2008: task" has no focus that can be placed/ },
  { name: 'a text file that is not a coordinate file (contents not echoed)', build: (d) => aleJob(d, { coordinates: PASSWD }), error: 'InvalidCoordinates', input: 'coords.txt', notInMessage: ['root', 'daemon', 'bash'] },
  { name: 'a Reference line then foreign rows (contents not echoed)', build: (d) => aleJob(d, { coordinates: `// Reference=MNI\n// x\n// Subjects=3\n${PASSWD}` }), error: 'InvalidCoordinates', input: 'coords.txt', notInMessage: ['daemon', 'nologin', 'sbin'] },
  { name: 'JSON that is not a coordinate set', build: (d) => aleJob(d, { coordinatesName: 'coords.json', coordinates: '{"a": 1}' }), error: 'InvalidCoordinates', input: 'coords.json' },
  { name: 'NiMARE foci at 1e999 (JSON reads them as Infinity)', build: (d) => aleJob(d, { coordinatesName: 'coords.json', coordinates: JSON.stringify(nimare({ a: { '1': 'c' }, b: { '1': 'c' } })).replace('[10,', '[1e999,') }), error: 'InvalidCoordinates', input: 'coords.json', message: /finite/ },
  { name: 'a missing coordinates file', build: (d) => aleJob(d, { inputs: { coordinates: 'nope.txt' } }), error: 'MissingInput', input: 'inputs.coordinates' },
  { name: 'a coordinates path escaping the job folder', build: (d) => aleJob(d, { inputs: { coordinates: '../coords.txt' } }), error: 'UnsafeInputKey', input: '../coords.txt' },
  { name: 'a second coordinate set with one experiment', build: (d) => aleJob(d, { inputs: { coordinates2: 'b.txt' }, files: { 'b.txt': sleuthText(ALE_EXPERIMENTS.slice(0, 1)) }, params: { contrast: { iterations: 1001 } } }), error: 'EmptyData', input: 'inputs.coordinates2' },
  { name: 'a second coordinate set with no focus in the mask', build: (d) => aleJob(d, { inputs: { coordinates2: 'b.txt' }, files: { 'b.txt': sleuthText(ALE_EXPERIMENTS.map((e) => ({ ...e, foci: [[80, 80, 80]] }))) }, params: { contrast: { iterations: 1001 } } }), error: 'EmptyData', input: 'inputs.mask', message: /b\.txt/ },
  { name: 'a jobId that is not a safe path component', build: (d) => aleJob(d, { jobId: '../other' }), error: 'InvalidJobSpec', input: /jobId/ },
];

/** NiMARE dataset JSON: { study: { contrast: 'c' } } with two foci each. */
function nimare(studies: Record<string, Record<string, string>>, n = 12): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(studies).map(([s, cons]) => [s, { contrasts: Object.fromEntries(Object.keys(cons).map((c) => [c, { coords: { space: 'MNI', x: [10, -10], y: [-10, 10], z: [10, -8] }, metadata: { sample_sizes: [n] } }])) }]),
  );
}

/** A NIMADS studyset with one analysis per [study, analysis] pair. */
function nimads(pairs: [string, string][]): Record<string, unknown> {
  return { studies: pairs.map(([s, a]) => ({ id: s, analyses: [{ id: a, points: [{ coordinates: [10, -10, 10], space: 'MNI' }, { coordinates: [-10, 10, -8], space: 'MNI' }], metadata: { sample_sizes: [12] } }] })) };
}

function anisotropicMask(): Uint8Array {
  return aleMaskWith([2, 2, 3]);
}

function aleMaskWith(pixdim: [number, number, number]): Uint8Array {
  const bytes = aleMask();
  // same grid, the affine's z column stretched: decode, change, encode again
  return reencode(bytes, pixdim);
}

import { readNifti, writeNifti } from '../shared/nifti/index.ts';
function reencode(bytes: Uint8Array, pixdim: [number, number, number]): Uint8Array {
  const v = readNifti(bytes, 'mask');
  const a = Float64Array.from(v.header.affine);
  for (let c = 0; c < 3; c++) for (let r = 0; r < 3; r++) a[r * 4 + c] = r === c ? pixdim[c]! : 0;
  return writeNifti({ dims: v.header.dims.slice(0, 3) as [number, number, number], affine: a, pixdim, data: Float32Array.from(v.data) }, { datatype: 'uint8' });
}

describeCorpus('bad inputs: ALE', ale);

// netmap cases are below (filled in with the netmap checks)
void readFileSync;
void join;
void ballOnConnectome;
void connectomeMaskData;
void netmapJob;
