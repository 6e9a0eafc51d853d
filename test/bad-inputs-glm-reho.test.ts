/**
 * The bad-input corpus of the glm and reho pipelines and of the participants table: every
 * case built from small synthetic files (test/helpers/bad-inputs.ts), run as `neuroburst run`
 * runs it, and checked by the corpus harness (named error, offending input, exit code, no
 * result.json, inputs unchanged, no fan-out, quick) — or, for what is accepted but
 * suspicious, a warning in result.json and in the CLI summary.
 */
import { statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeJob } from '../bin/run.ts';
import { describeCorpus, fannedOut, type BadCase } from './helpers/bad-input-corpus.ts';
import { GLM_AFFINE, GLM_DIMS, GLM_VOXELS, REHO_AFFINE, REHO_DIMS, REHO_VOLUMES, glmMask, motionText, tinyGlm, tinyReho, writeMap } from './helpers/bad-inputs.ts';
import { tmpDir } from './helpers/tmp.ts';
import { decimalCell, unsafeGroupName } from '../shared/pipelines/glm/design.ts';
import { parseTable } from '../shared/jobs/table.ts';
import { deviationCovariates } from '../shared/pipelines/glm/cohort.ts';
import { expectNamed, expectRejectsNamed } from './helpers/errors.ts';
import { readHeaderAt } from '../shared/pipelines/common/header.ts';
import { writeNifti } from '../shared/nifti/index.ts';
import { gzipSync } from 'fflate';
import { pathToFileURL } from 'node:url';

type Json = Record<string, any>;
const cell = (rows: string[][], r: number, col: string, value: string) => {
  rows[r]![rows[0]!.indexOf(col)] = value;
};
const dropColumn = (rows: string[][], col: string) => {
  const k = rows[0]!.indexOf(col);
  for (const row of rows) row.splice(k, 1);
};
const params = (edit: (p: Json) => void) => ({ spec: (j: Json) => edit(j.params) });
const PASSWD = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n'.repeat(8);
/** "root" read as a little- and big-endian int32: what an old message echoed */
const ROOT_AS_NUMBERS = ['1953460082', '1919905652'];

describe('the harness', () => {
  it('sees a fan-out: a valid tiny glm job succeeds and leaves shards under .work', async () => {
    const dir = tmpDir('nb-bad-ok-');
    const r = await executeJob(tinyGlm(dir), { out: join(dir, 'out'), progress: false });
    expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
    expect(r.summary?.warnings).toEqual([]);
    expect(fannedOut(join(dir, 'out')).some((f) => /prepared\/00000\.f32$/.test(f))).toBe(true);
  }, 60_000);
  it('a valid tiny reho job succeeds without warnings', async () => {
    const dir = tmpDir('nb-bad-ok-');
    const r = await executeJob(tinyReho(dir), { out: join(dir, 'out'), progress: false });
    expect(r.status, JSON.stringify(r.error)).toBe('succeeded');
    expect(r.summary?.warnings).toEqual([]);
  }, 60_000);
});

const glm: BadCase[] = [
  // masks and atlases
  { name: 'a 4-D mask where a 3-D one is expected', build: (d) => tinyGlm(d, { spec: (j) => (j.inputs.mask = 'mask4d.nii.gz'), extra: (d) => writeMap(join(d, 'mask4d.nii.gz'), [...GLM_DIMS, 2], new Float32Array(GLM_VOXELS * 2).fill(1)) }), error: 'InvalidParameter', input: 'inputs.mask' },
  { name: 'an all-zero mask', build: (d) => tinyGlm(d, { spec: (j) => (j.inputs.mask = 'mask0.nii.gz'), extra: (d) => writeMap(join(d, 'mask0.nii.gz'), GLM_DIMS, new Float32Array(GLM_VOXELS)) }), error: 'EmptyData', input: 'inputs.mask' },
  { name: 'an all-NaN mask', build: (d) => tinyGlm(d, { spec: (j) => (j.inputs.mask = 'maskn.nii.gz'), extra: (d) => writeMap(join(d, 'maskn.nii.gz'), GLM_DIMS, new Float32Array(GLM_VOXELS).fill(NaN)) }), error: 'EmptyData', input: 'inputs.mask' },
  { name: 'a mask on another grid', build: (d) => tinyGlm(d, { spec: (j) => (j.inputs.mask = 'm.nii.gz'), extra: (d) => writeMap(join(d, 'm.nii.gz'), [10, 10, 7], new Float32Array(700).fill(1)) }), error: 'SpaceMismatch', input: 'inputs.mask' },
  { name: 'a mask with another affine', build: (d) => tinyGlm(d, { spec: (j) => (j.inputs.mask = 'm.nii.gz'), extra: (d) => writeMap(join(d, 'm.nii.gz'), GLM_DIMS, glmMask(), Float64Array.from([2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1])) }), error: 'SpaceMismatch', input: 'inputs.mask' },
  { name: 'a missing mask', build: (d) => tinyGlm(d, { spec: (j) => (j.inputs.mask = 'nope.nii.gz') }), error: 'MissingInput', input: 'inputs.mask' },
  { name: 'a text file given as the mask', build: (d) => tinyGlm(d, { spec: (j) => (j.inputs.mask = 'passwd'), extra: (d) => writeFileSync(join(d, 'passwd'), PASSWD) }), error: 'InvalidNifti', input: 'inputs.mask', notInMessage: ['root', ...ROOT_AS_NUMBERS] },
  { name: 'a 4-D atlas', build: (d) => tinyGlm(d, { spec: (j) => (j.inputs.atlas = 'a4.nii.gz'), extra: (d) => writeMap(join(d, 'a4.nii.gz'), [...GLM_DIMS, 3], new Float32Array(GLM_VOXELS * 3).fill(1)) }), error: 'InvalidParameter', input: 'inputs.atlas' },
  { name: 'an atlas on a grid sharing no voxel with the data', build: (d) => tinyGlm(d, { spec: (j) => (j.inputs.atlas = 'a.nii.gz'), extra: (d) => writeMap(join(d, 'a.nii.gz'), [8, 10, 8], new Float32Array(640).fill(1), Float64Array.from([-4, 0, 0, 5018, 0, 4, 0, -18, 0, 0, 4, -14, 0, 0, 0, 1])) }), error: 'NoGridOverlap', input: 'inputs.atlas' },
  { name: 'missing atlas labels', build: (d) => tinyGlm(d, { spec: (j) => (j.inputs.atlasLabels = 'labels.tsv') }), error: 'MissingInput', input: 'inputs.atlasLabels' },
  // subject maps
  { name: 'a text file ("root:x:0:0") given as a map, its contents not echoed', build: (d) => tinyGlm(d, { extra: (d) => writeFileSync(join(d, 'maps/s3.nii.gz'), PASSWD) }), error: 'InvalidNifti', input: /participants\.tsv row 4 \(s3\) map/, notInMessage: ['root', 'daemon', 'bash', ...ROOT_AS_NUMBERS] },
  { name: 'a map with other dims than the others', build: (d) => tinyGlm(d, { extra: (d) => writeMap(join(d, 'maps/s5.nii.gz'), [10, 10, 9], new Float32Array(900).fill(0.5)) }), error: 'SpaceMismatch', input: /row 6 \(s5\) map/ },
  { name: 'a map with another affine', build: (d) => tinyGlm(d, { extra: (d) => writeMap(join(d, 'maps/s5.nii.gz'), GLM_DIMS, new Float32Array(GLM_VOXELS).fill(0.5), Float64Array.from([-4, 0, 0, 20, 0, 4, 0, -18, 0, 0, 4, -14, 0, 0, 0, 1])) }), error: 'SpaceMismatch', input: /row 6 \(s5\) map/ },
  { name: 'a 4-D map where one 3-D map per subject is expected', build: (d) => tinyGlm(d, { extra: (d) => writeMap(join(d, 'maps/s2.nii.gz'), [...GLM_DIMS, 2], new Float32Array(GLM_VOXELS * 2).fill(0.5)) }), error: 'InvalidParameter', input: /row 3 \(s2\) map/ },
  { name: 'a missing map file', build: (d) => tinyGlm(d, { rows: (r) => cell(r, 7, 'map', 'maps/gone.nii.gz') }), error: 'MissingInput', input: /row 7 \(s6\) map/ },
  { name: 'an empty (0-byte) map', build: (d) => tinyGlm(d, { extra: (d) => writeFileSync(join(d, 'maps/s1.nii.gz'), '') }), error: 'InvalidNifti', input: /row 2 \(s1\) map/ },
  { name: 'a map cut inside its header', build: (d) => tinyGlm(d, { extra: (d) => { writeMap(join(d, 'maps/s1.nii'), GLM_DIMS, new Float32Array(GLM_VOXELS)); truncateSync(join(d, 'maps/s1.nii'), 200); }, rows: (r) => cell(r, 2, 'map', 'maps/s1.nii') }), error: 'InvalidNifti', input: /row 2 \(s1\) map/ },
  { name: 'an uncompressed map cut inside its voxels', build: (d) => tinyGlm(d, { extra: (d) => { writeMap(join(d, 'maps/s1.nii'), GLM_DIMS, new Float32Array(GLM_VOXELS).fill(0.5)); truncateSync(join(d, 'maps/s1.nii'), 352 + 1000); }, rows: (r) => cell(r, 2, 'map', 'maps/s1.nii') }), error: 'InvalidNifti', input: /row 2 \(s1\) map/, message: /truncated/ },
  { name: 'a gzip map cut inside its voxels', build: (d) => tinyGlm(d, { extra: (d) => truncateSync(join(d, 'maps/s9.nii.gz'), Math.floor(statSync(join(d, 'maps/s9.nii.gz')).size / 2)) }), error: 'InvalidNifti', input: /row 10 \(s9\) map/ },
  { name: 'a gzip map cut inside its header', build: (d) => tinyGlm(d, { extra: (d) => truncateSync(join(d, 'maps/s1.nii.gz'), 40) }), error: 'InvalidNifti', input: /row 2 \(s1\) map/ },
  // the participants table: structure
  { name: 'a missing participants table', build: (d) => tinyGlm(d, { spec: (j) => (j.inputs.participants = 'none.tsv') }), error: 'MissingInput', input: 'inputs.participants' },
  { name: 'an empty participants table', build: (d) => tinyGlm(d, { table: '' }), error: 'InvalidParticipants', input: 'participants.tsv' },
  { name: 'a header and no participant', build: (d) => tinyGlm(d, { table: 'participant_id\tgroup\tage\tmap\n' }), error: 'EmptyData', input: 'inputs.participants' },
  { name: 'two participants', build: (d) => tinyGlm(d, { rows: (r) => r.splice(3) }), error: 'EmptyData', input: 'inputs.participants' },
  { name: 'no participant_id column', build: (d) => tinyGlm(d, { rows: (r) => dropColumn(r, 'participant_id') }), error: 'InvalidParticipants', message: /no column "participant_id"/ },
  { name: 'no group column', build: (d) => tinyGlm(d, { rows: (r) => dropColumn(r, 'group') }), error: 'InvalidParticipants', message: /no column "group"/ },
  { name: 'no map column', build: (d) => tinyGlm(d, { spec: (j) => (j.inputs.mapColumn = 'gm_map') }), error: 'InvalidParticipants', message: /no column "gm_map"/ },
  { name: 'a column named twice in the header', build: (d) => tinyGlm(d, { rows: (r) => (r[0]![2] = 'group') }), error: 'InvalidParticipants', message: /line 1: column "group" appears twice/ },
  { name: 'an empty column name in the header', build: (d) => tinyGlm(d, { rows: (r) => (r[0]![3] = '') }), error: 'InvalidParticipants', message: /line 1: empty column name/ },
  { name: 'an absurd header (one field) blamed on line 1, not line 2', build: (d) => tinyGlm(d, { rows: (r) => (r[0] = ['participant_id group age tiv sex site map']) }), error: 'InvalidParticipants', message: /line 1\b/, notInMessage: [/line 2\b/] },
  { name: 'a row with a missing field', build: (d) => tinyGlm(d, { rows: (r) => r[5]!.pop() }), error: 'InvalidParticipants', message: /line 6: 6 fields, but the header has 7/ },
  { name: 'duplicate participant ids', build: (d) => tinyGlm(d, { rows: (r) => cell(r, 9, 'participant_id', 's2') }), error: 'InvalidParticipants', message: /row 9: participant_id "s2" appears twice/ },
  { name: 'an empty participant_id', build: (d) => tinyGlm(d, { rows: (r) => cell(r, 4, 'participant_id', '') }), error: 'InvalidParticipants', message: /row 4: empty participant_id/ },
  { name: 'an empty group cell', build: (d) => tinyGlm(d, { rows: (r) => cell(r, 4, 'group', '') }), error: 'InvalidParticipants', message: /row 4 \(s3\): empty group/ },
  { name: 'an empty map cell', build: (d) => tinyGlm(d, { rows: (r) => cell(r, 4, 'map', '') }), error: 'InvalidParticipants', message: /row 4 \(s3\): empty map/ },
  // group and analysis names are path components
  { name: 'a group named "A/x" in the table', build: (d) => tinyGlm(d, { rows: (r) => r.slice(1).forEach((row, i) => i % 2 && (row[1] = 'A/x')), spec: (j) => (j.params.contrasts = ['A/x-B']) }), error: 'InvalidParticipants', message: /row 2 \(s1\).*group/ },
  { name: 'a group named "../../HC" in the table', build: (d) => tinyGlm(d, { rows: (r) => r.slice(1).forEach((row, i) => i % 2 && (row[1] = '../../HC')), spec: (j) => (j.params.contrasts = ['../../HC-B']) }), error: 'InvalidParticipants', message: /row 2 \(s1\).*group/ },
  { name: 'a group named ".." in the table', build: (d) => tinyGlm(d, { rows: (r) => r.slice(1).forEach((row, i) => i % 2 && (row[1] = '..')), spec: (j) => (j.params.contrasts = ['..-B']) }), error: 'InvalidParticipants', message: /group/ },
  { name: 'params.groups naming "../../HC"', build: (d) => tinyGlm(d, params((p) => (p.groups = ['A', 'B', '../../HC']))), error: 'InvalidJobSpec', input: /^params\.groups/ },
  { name: 'an analysis named "../x"', build: (d) => tinyGlm(d, params((p) => (p.analyses = [{ name: '../x', filter: { site: 'x' }, contrasts: ['A-B'] }]))), error: 'InvalidJobSpec', input: /^params\.analyses\.0\.name/ },
  { name: 'an analysis named "a/b"', build: (d) => tinyGlm(d, params((p) => (p.analyses = [{ name: 'a/b', filter: { site: 'x' }, contrasts: ['A-B'] }]))), error: 'InvalidJobSpec', input: /^params\.analyses\.0\.name/ },
  { name: 'a contrast vector named "../t"', build: (d) => tinyGlm(d, params((p) => (p.contrasts = [{ name: '../t', vector: [1, -1, 0] }]))), error: 'InvalidJobSpec', input: /^params\.contrasts\.0/ },
  // numeric cells and covariates
  { name: '"0x5f0" in a numeric covariate column', build: (d) => tinyGlm(d, { rows: (r) => cell(r, 5, 'age', '0x5f0') }), error: 'InvalidParticipants', message: /row 5 \(s4\).*"?age"?/ },
  { name: '"0b101" in a numeric covariate column', build: (d) => tinyGlm(d, { rows: (r) => cell(r, 5, 'age', '0b101') }), error: 'InvalidParticipants', message: /row 5 \(s4\)/ },
  { name: '"Infinity" in a numeric covariate column', build: (d) => tinyGlm(d, { rows: (r) => cell(r, 3, 'age', 'Infinity') }), error: 'InvalidParticipants', message: /row 3 \(s2\)/ },
  { name: '"1e999" in a numeric covariate column', build: (d) => tinyGlm(d, { rows: (r) => cell(r, 3, 'age', '1e999') }), error: 'InvalidParticipants', message: /row 3 \(s2\)/ },
  { name: 'NaN in a numeric covariate column', build: (d) => tinyGlm(d, { rows: (r) => cell(r, 8, 'age', 'NaN') }), error: 'InvalidParticipants', message: /row 8 \(s7\)/ },
  { name: '"n/a" in a numeric covariate column', build: (d) => tinyGlm(d, { rows: (r) => cell(r, 8, 'age', 'n/a') }), error: 'InvalidParticipants', message: /row 8 \(s7\)/ },
  { name: 'an empty numeric covariate cell', build: (d) => tinyGlm(d, { rows: (r) => cell(r, 8, 'age', '') }), error: 'InvalidParticipants', message: /row 8 \(s7\)/ },
  { name: 'a covariate of 1e308 is not called collinear', build: (d) => tinyGlm(d, { rows: (r) => cell(r, 2, 'tiv', '1e308'), spec: (j) => (j.params.covariates = ['age', 'tiv']) }), error: 'InvalidParticipants', message: /row 2 \(s1\).*tiv/, notInMessage: [/collinear|singular|rank/i] },
  { name: 'a covariate column that does not exist', build: (d) => tinyGlm(d, params((p) => (p.covariates = ['age', 'weight']))), error: 'InvalidParticipants', input: 'params.covariates', message: /"weight"/ },
  { name: 'a one-level categorical covariate', build: (d) => tinyGlm(d, { rows: (r) => r.slice(1).forEach((row) => (row[5] = 'x')), spec: (j) => (j.params.covariates = ['age', { name: 'site', type: 'categorical' }]) }), error: 'InvalidParticipants', input: /^params\.covariates/, message: /"site".*one level/ },
  { name: 'a covariate identical to a group indicator (collinear)', build: (d) => tinyGlm(d, { rows: (r) => r.slice(1).forEach((row) => (row[3] = row[1] === 'A' ? '1' : '0')), spec: (j) => (j.params.covariates = ['tiv']) }), error: 'SingularDesign' },
  // contrasts and groups
  { name: 'a contrast naming an unknown group', build: (d) => tinyGlm(d, params((p) => (p.contrasts = ['A-Z']))), error: 'InvalidJobSpec', input: 'params.contrasts[0]' },
  { name: 'a contrast of a group with itself', build: (d) => tinyGlm(d, params((p) => (p.contrasts = ['A-A']))), error: 'InvalidJobSpec', input: 'params.contrasts[0]' },
  { name: 'a contrast not written GROUPA-GROUPB', build: (d) => tinyGlm(d, params((p) => (p.contrasts = ['A vs B']))), error: 'InvalidJobSpec', input: /^params\.contrasts\.0/ },
  { name: 'no contrast at all', build: (d) => tinyGlm(d, params((p) => (p.contrasts = []))), error: 'InvalidJobSpec', input: 'params.contrasts' },
  { name: 'two contrasts with one name', build: (d) => tinyGlm(d, params((p) => (p.contrasts = ['A-B', 'A-B']))), error: 'InvalidJobSpec', input: 'params.contrasts' },
  { name: 'a contrast vector of the wrong length', build: (d) => tinyGlm(d, params((p) => (p.contrasts = [{ name: 'c', vector: [1, -1] }]))), error: 'InvalidJobSpec', input: 'params.contrasts[0]' },
  { name: 'an all-zero contrast vector', build: (d) => tinyGlm(d, params((p) => (p.contrasts = [{ name: 'c', vector: [0, 0, 0] }]))), error: 'InvalidJobSpec', input: 'params.contrasts[0]' },
  { name: 'a group with one subject', build: (d) => tinyGlm(d, { rows: (r) => cell(r, 1, 'group', 'C'), spec: (j) => (j.params.contrasts = ['C-A']) }), error: 'InvalidParticipants', input: 'params.contrasts[0]' },
  { name: 'a table group not listed in params.groups', build: (d) => tinyGlm(d, params((p) => (p.groups = ['A']))), error: 'InvalidJobSpec', input: 'params.groups' },
  { name: 'params.groups naming a group nobody is in', build: (d) => tinyGlm(d, params((p) => (p.groups = ['A', 'B', 'C']))), error: 'InvalidJobSpec', input: 'params.groups' },
  { name: 'an F-contrast naming an unknown group', build: (d) => tinyGlm(d, params((p) => (p.fContrasts = [{ name: 'F', groups: ['A', 'Q'] }]))), error: 'InvalidJobSpec', input: 'params.fContrasts[0]' },
  { name: 'an F-contrast row of the wrong length', build: (d) => tinyGlm(d, params((p) => (p.fContrasts = [{ name: 'F', rows: [[1, -1]] }]))), error: 'InvalidJobSpec', input: 'params.fContrasts[0].rows[0]' },
  { name: 'an analysis filtering on a missing column', build: (d) => tinyGlm(d, params((p) => (p.analyses = [{ name: 'sub', filter: { syndrome: 'TLE' }, contrasts: ['A-B'] }]))), error: 'InvalidJobSpec', input: 'params.analyses[0].filter' },
  { name: 'an analysis without a contrast', build: (d) => tinyGlm(d, params((p) => (p.analyses = [{ name: 'sub', filter: { site: 'x' } }]))), error: 'InvalidJobSpec', input: 'params.analyses[0].contrasts' },
  { name: 'every subject excluded by an analysis filter', build: (d) => tinyGlm(d, params((p) => (p.analyses = [{ name: 'sub', filter: { site: 'nowhere' }, contrasts: ['A-B'] }]))), error: 'TooFewSubjects', input: 'params.analyses[0].filter' },
  { name: 'two analyses with one name', build: (d) => tinyGlm(d, params((p) => (p.analyses = [{ name: 's', filter: { site: 'x' }, contrasts: ['A-B'] }, { name: 's', filter: { site: 'y' }, contrasts: ['A-B'] }]))), error: 'InvalidJobSpec', input: 'params.analyses[1].name' },
  // parameters
  { name: 'a negative smoothing FWHM', build: (d) => tinyGlm(d, params((p) => (p.smoothFwhmMm = -1))), error: 'InvalidJobSpec', input: 'params.smoothFwhmMm' },
  { name: 'a smoothing FWHM over 30 mm', build: (d) => tinyGlm(d, params((p) => (p.smoothFwhmMm = 31))), error: 'InvalidJobSpec', input: 'params.smoothFwhmMm' },
  { name: 'a smoothing FWHM given as text', build: (d) => tinyGlm(d, params((p) => (p.smoothFwhmMm = '6mm'))), error: 'InvalidJobSpec', input: 'params.smoothFwhmMm' },
  { name: 'a voxel p of 0', build: (d) => tinyGlm(d, params((p) => (p.inference = { grf: { voxelP: 0 } }))), error: 'InvalidJobSpec', input: 'params.inference.grf.voxelP' },
  { name: 'a cluster p of 1.5', build: (d) => tinyGlm(d, params((p) => (p.inference = { grf: { clusterP: 1.5 } }))), error: 'InvalidJobSpec', input: 'params.inference.grf.clusterP' },
  { name: 'a connectivity of 8', build: (d) => tinyGlm(d, params((p) => (p.inference = { grf: { connectivity: 8 } }))), error: 'InvalidJobSpec', input: 'params.inference.grf.connectivity' },
  { name: 'one permutation', build: (d) => tinyGlm(d, params((p) => (p.inference = { permutation: { n: 1 } }))), error: 'InvalidJobSpec', input: 'params.inference.permutation.n' },
  { name: 'an unknown params field', build: (d) => tinyGlm(d, params((p) => (p.smoothing = 6))), error: 'InvalidJobSpec', input: 'params' },
  { name: 'an unknown inputs field', build: (d) => tinyGlm(d, { spec: (j) => (j.inputs.maps = 'maps/') }), error: 'InvalidJobSpec', input: 'inputs' },
  { name: 'zero slabs', build: (d) => tinyGlm(d, params((p) => (p.slabs = 0))), error: 'InvalidJobSpec', input: 'params.slabs' },
  { name: '"0x5f0" in a deviation covariate', build: (d) => tinyGlm(d, { rows: (r) => cell(r, 4, 'tiv', '0x5f0'), spec: (j) => (j.params.deviation = { reference: 'B', patients: ['A'], covariates: ['tiv'] }) }), error: 'PartlyNumericColumn', message: /tiv/ },
  { name: 'a deviation reference group that does not exist', build: (d) => tinyGlm(d, params((p) => (p.deviation = { reference: 'HC', patients: ['A'] }))), error: 'TooFewSubjects', input: /^params\.deviation/ },
  { name: 'exchangeability blocks from a missing column', build: (d) => tinyGlm(d, params((p) => (p.inference = { permutation: { n: 100, exchangeabilityBlocks: 'family' } }))), error: 'InvalidParticipants', message: /family/ },
  { name: 'a budget the estimate exceeds', build: (d) => tinyGlm(d, { spec: (j) => (j.budget = { maxUsd: 1e-9 }) }), error: 'BudgetExceeded' },
];

describeCorpus('glm and its participants table: refused by name before any fan-out', glm);

/** the fixed byte offset of the first voxel of a NIfTI-1 file written by writeNifti */
const VOX_OFFSET = 352;
const VOL_BYTES = REHO_DIMS[0] * REHO_DIMS[1] * REHO_DIMS[2] * 4;
const rehoVox = REHO_DIMS[0] * REHO_DIMS[1] * REHO_DIMS[2];
const preprocess = (edit: Json) => (j: Json) => Object.assign(j.params.preprocess, edit);

const reho: BadCase[] = [
  // masks
  { name: 'a 4-D brain mask', build: (d) => tinyReho(d, { extra: (d) => writeMap(join(d, 'mask.nii.gz'), [...REHO_DIMS, 2], new Float32Array(rehoVox * 2).fill(1), REHO_AFFINE) }), error: 'InvalidParameter', input: 'inputs.mask' },
  { name: 'an all-zero brain mask', build: (d) => tinyReho(d, { mask: new Float32Array(rehoVox) }), error: 'EmptyData', input: 'inputs.mask' },
  { name: 'an all-NaN brain mask', build: (d) => tinyReho(d, { mask: new Float32Array(rehoVox).fill(NaN) }), error: 'EmptyData', input: 'inputs.mask' },
  { name: 'a brain mask on another grid', build: (d) => tinyReho(d, { extra: (d) => writeMap(join(d, 'mask.nii.gz'), [6, 6, 4], new Float32Array(144).fill(1), REHO_AFFINE) }), error: 'SpaceMismatch', input: 'inputs.mask' },
  { name: 'a missing brain mask', build: (d) => tinyReho(d, { spec: (j) => (j.inputs.mask = 'nomask.nii.gz') }), error: 'MissingInput', input: 'inputs.mask' },
  { name: 'a text file as the brain mask', build: (d) => tinyReho(d, { extra: (d) => writeFileSync(join(d, 'mask.nii.gz'), PASSWD) }), error: 'InvalidNifti', input: 'inputs.mask', notInMessage: ['root', ...ROOT_AS_NUMBERS] },
  { name: 'a 4-D WM mask', build: (d) => tinyReho(d, { spec: (j) => { j.inputs.wmMask = 'wm.nii.gz'; j.inputs.csfMask = 'mask.nii.gz'; Object.assign(j.params.preprocess, { nuisance: true }); }, extra: (d) => writeMap(join(d, 'wm.nii.gz'), [...REHO_DIMS, 2], new Float32Array(rehoVox * 2).fill(1), REHO_AFFINE) }), error: 'InvalidParameter', input: 'inputs.wmMask' },
  // func series
  { name: 'a truncated uncompressed .nii func (ranged reads), naming the file', build: (d) => tinyReho(d, { raw: true, extra: (d) => truncateSync(join(d, 'func/sub-1.nii'), VOX_OFFSET + 10 * VOL_BYTES + 7) }), error: 'InvalidNifti', input: /row 2 \(sub-1\) func/, message: /\(sub-1\.nii\) is truncated/ },
  { name: 'a truncated .nii.gz func', build: (d) => tinyReho(d, { extra: (d) => truncateSync(join(d, 'func/sub-1.nii.gz'), 300) }), error: 'InvalidNifti', input: /row 2 \(sub-1\) func/ },
  { name: 'a .nii.gz func cut inside its voxels', build: (d) => tinyReho(d, { extra: (d) => truncateSync(join(d, 'func/sub-2.nii.gz'), Math.floor(statSync(join(d, 'func/sub-2.nii.gz')).size * 0.6)) }), error: 'InvalidNifti', input: /row 3 \(sub-2\) func/ },
  { name: 'an all-NaN 4-D series', build: (d) => tinyReho(d, { func: (s, x) => void (s === 2 && x.fill(NaN)) }), error: 'EmptyData', input: /row 3 \(sub-2\) func/ },
  { name: 'an all-NaN 4-D series (uncompressed)', build: (d) => tinyReho(d, { raw: true, func: (s, x) => void (s === 2 && x.fill(NaN)) }), error: 'EmptyData', input: /row 3 \(sub-2\) func/ },
  { name: 'a constant 4-D series', build: (d) => tinyReho(d, { func: (s, x) => void (s === 0 && x.fill(100)) }), error: 'EmptyData', input: /row 1 \(sub-0\) func/, message: /constant/ },
  { name: 'an all-zero 4-D series', build: (d) => tinyReho(d, { raw: true, func: (s, x) => void (s === 1 && x.fill(0)) }), error: 'EmptyData', input: /row 2 \(sub-1\) func/ },
  { name: 'a 3-D func where a 4-D series is expected', build: (d) => tinyReho(d, { extra: (d) => writeMap(join(d, 'func/sub-0.nii.gz'), REHO_DIMS, new Float32Array(rehoVox).fill(1), REHO_AFFINE) }), error: 'InvalidParameter', input: /row 1 \(sub-0\) func/ },
  { name: 'func series on different grids', build: (d) => tinyReho(d, { extra: (d) => writeMap(join(d, 'func/sub-2.nii.gz'), [6, 6, 6, REHO_VOLUMES], new Float32Array(216 * REHO_VOLUMES).fill(1), REHO_AFFINE, { tr: 2 }) }), error: 'SpaceMismatch', input: /row 3 \(sub-2\) func/ },
  { name: 'a missing func file', build: (d) => tinyReho(d, { rows: (r) => cell(r, 2, 'func', 'func/none.nii.gz') }), error: 'MissingInput', input: /row 2 \(sub-1\) func/ },
  { name: 'a text file as a func', build: (d) => tinyReho(d, { extra: (d) => writeFileSync(join(d, 'func/sub-0.nii.gz'), PASSWD) }), error: 'InvalidNifti', input: /row 1 \(sub-0\) func/, notInMessage: ['root', ...ROOT_AS_NUMBERS] },
  { name: 'too few volumes after dropping', build: (d) => tinyReho(d, { spec: (j) => (j.params.dropVolumes = 22) }), error: 'InvalidParameter', input: 'params.dropVolumes' },
  // band-pass
  { name: 'a band-pass above Nyquist', build: (d) => tinyReho(d, { spec: (j) => (j.params.bandpassHz = [0.01, 0.3]) }), error: 'InvalidParameter', input: 'params.bandpassHz' },
  { name: 'a band-pass above Nyquist through params.tr', build: (d) => tinyReho(d, { spec: (j) => { j.params.tr = 4; j.params.bandpassHz = [0.01, 0.2]; } }), error: 'InvalidParameter', input: 'params.bandpassHz' },
  { name: 'a band-pass whose low edge is above its high edge', build: (d) => tinyReho(d, { spec: (j) => (j.params.bandpassHz = [0.08, 0.01]) }), error: 'InvalidParameter', input: 'params.bandpassHz' },
  { name: 'a band-pass with one edge', build: (d) => tinyReho(d, { spec: (j) => (j.params.bandpassHz = [0.01]) }), error: 'InvalidJobSpec', input: /^params\.bandpassHz/ },
  { name: 'a band-pass high-pass edge at or above Nyquist', build: (d) => tinyReho(d, { spec: (j) => (j.params.bandpassHz = [0.25, 0]) }), error: 'InvalidParameter', input: 'params.bandpassHz' },
  // subjects excluded
  { name: 'every subject excluded by motion QC', build: (d) => tinyReho(d, { motion: (s) => motionText(200 + s, REHO_VOLUMES, 10) }), error: 'EmptyData', input: 'params.exclusion' },
  { name: 'every subject excluded, with a group GLM', build: (d) => tinyReho(d, { n: 4, motion: (s) => motionText(200 + s, REHO_VOLUMES, 10), spec: (j) => (j.params.group = { contrasts: ['A-B'] }) }), error: 'EmptyData', input: 'params.exclusion' },
  { name: 'too few subjects left for the group GLM after exclusion', build: (d) => tinyReho(d, { n: 4, motion: (s) => motionText(200 + s, REHO_VOLUMES, s === 1 ? 10 : 0), spec: (j) => (j.params.group = { contrasts: ['A-B'] }) }), error: 'EmptyData', input: /^params\.group/, message: /group "A".*1 subject/ },
  // the participants table
  { name: 'a reho table without a func column', build: (d) => tinyReho(d, { rows: (r) => dropColumn(r, 'func') }), error: 'InvalidParticipants', message: /no column "func"/ },
  { name: 'a reho table without a confounds column (motion QC needs it)', build: (d) => tinyReho(d, { rows: (r) => dropColumn(r, 'confounds') }), error: 'InvalidParticipants', message: /no column "confounds"/ },
  { name: 'a reho table with no participant', build: (d) => tinyReho(d, { rows: (r) => r.splice(1) }), error: 'EmptyData', input: 'inputs.participants' },
  { name: 'a participant_id that is not a safe file name', build: (d) => tinyReho(d, { rows: (r) => cell(r, 2, 'participant_id', '../x') }), error: 'InvalidParticipants', message: /row 2: participant_id/ },
  { name: 'duplicate reho participant ids', build: (d) => tinyReho(d, { rows: (r) => cell(r, 3, 'participant_id', 'sub-0') }), error: 'InvalidParticipants', message: /row 3: participant_id "sub-0" appears twice/ },
  { name: 'an empty func cell', build: (d) => tinyReho(d, { rows: (r) => cell(r, 1, 'func', '') }), error: 'InvalidParticipants', message: /row 1 \(sub-0\): empty func/ },
  { name: 'an empty confounds cell', build: (d) => tinyReho(d, { rows: (r) => cell(r, 1, 'confounds', '') }), error: 'InvalidParticipants', message: /row 1 \(sub-0\): empty confounds/ },
  { name: 'a missing confounds file', build: (d) => tinyReho(d, { rows: (r) => cell(r, 3, 'confounds', 'motion/none.txt') }), error: 'MissingInput', input: /row 3 \(sub-2\) confounds/ },
  { name: 'confounds with fewer rows than volumes', build: (d) => tinyReho(d, { motion: (s) => motionText(200 + s, s === 1 ? 10 : REHO_VOLUMES) }), error: 'InvalidParticipants', message: /sub-1 confounds: 10 rows/ },
  { name: 'a group named "../../HC" with a group GLM', build: (d) => tinyReho(d, { n: 4, rows: (r) => r.slice(1).forEach((row, i) => i % 2 && (row[1] = '../../HC')), spec: (j) => (j.params.group = { contrasts: ['../../HC-B'] }) }), error: 'InvalidParticipants', message: /group/ },
  { name: 'a group GLM contrast naming an unknown group', build: (d) => tinyReho(d, { n: 4, spec: (j) => (j.params.group = { contrasts: ['A-Z'] }) }), error: 'InvalidJobSpec', input: /contrasts/ },
  { name: 'a group GLM without contrasts', build: (d) => tinyReho(d, { spec: (j) => (j.params.group = { contrasts: [] }) }), error: 'InvalidJobSpec', input: /^params\.group\.contrasts/ },
  // parameters
  { name: 'neighbours 26', build: (d) => tinyReho(d, { spec: (j) => (j.params.neighbours = 26) }), error: 'InvalidJobSpec', input: 'params.neighbours' },
  { name: 'a ReHo smoothing FWHM of 40 mm', build: (d) => tinyReho(d, { spec: (j) => (j.params.smoothFwhmMm = 40) }), error: 'InvalidJobSpec', input: 'params.smoothFwhmMm' },
  { name: 'a negative TR', build: (d) => tinyReho(d, { spec: (j) => (j.params.tr = -2) }), error: 'InvalidJobSpec', input: 'params.tr' },
  { name: 'a spike fraction above 1', build: (d) => tinyReho(d, { spec: (j) => (j.params.exclusion = { maxSpikeFraction: 2 }) }), error: 'InvalidJobSpec', input: 'params.exclusion.maxSpikeFraction' },
  { name: 'a fractional dropVolumes', build: (d) => tinyReho(d, { spec: (j) => (j.params.dropVolumes = 2.5) }), error: 'InvalidJobSpec', input: 'params.dropVolumes' },
  { name: 'an unknown preprocessing step', build: (d) => tinyReho(d, { spec: preprocess({ despike: true }) }), error: 'InvalidJobSpec', input: 'params.preprocess' },
  { name: 'a zOrder that does not exist', build: (d) => tinyReho(d, { spec: (j) => (j.params.zOrder = 'zOnly') }), error: 'InvalidJobSpec', input: 'params.zOrder' },
];

describeCorpus('reho: refused by name before any fan-out', reho);

const warned: BadCase[] = [
  {
    name: 'reho: one subject excluded by motion QC, two remain',
    build: (d) => tinyReho(d, { motion: (s) => motionText(200 + s, REHO_VOLUMES, s === 1 ? 10 : 0) }),
    warning: /1 of 3 subject\(s\).*excluded.*sub-1/,
  },
  {
    name: 'reho with a group GLM: one subject excluded, enough remain',
    build: (d) => tinyReho(d, { n: 6, motion: (s) => motionText(200 + s, REHO_VOLUMES, s === 1 ? 10 : 0), spec: (j) => (j.params.group = { contrasts: ['A-B'], smoothFwhmMm: 0 }) }),
    warning: /1 of 6 subject\(s\).*excluded.*sub-1/,
    maxSeconds: 40,
  },
  {
    name: 'glm: mask voxels lost because a subject map is NaN there',
    build: (d) => tinyGlm(d, { map: (s, x) => void (s === 4 && x.fill(NaN, 0, 300)), spec: (j) => (j.inputs.mask = 'mask.nii.gz'), extra: (d) => writeMap(join(d, 'mask.nii.gz'), GLM_DIMS, glmMask()) }),
    warning: /voxel\(s\) of inputs\.mask left out.*not finite/,
  },
];

describeCorpus('accepted but suspicious: warned in result.json and the CLI summary', warned);

describe('readHeaderAt: a file must hold the voxels its header describes', () => {
  const nii = writeNifti({ dims: GLM_DIMS, affine: GLM_AFFINE, data: new Float32Array(GLM_VOXELS).fill(0.5) }, { datatype: 'float32', gzip: false });
  const at = (name: string, bytes: Uint8Array) => {
    const p = join(tmpDir('nb-bad-hdr-'), name);
    writeFileSync(p, bytes);
    return pathToFileURL(p).href;
  };
  it('whole files pass: .nii, .nii.gz, a .nii.gz of two gzip members, a .nii with bytes after the voxels', async () => {
    const half = 1000;
    const twoMembers = new Uint8Array([...gzipSync(nii.subarray(0, half)), ...gzipSync(nii.subarray(half))]);
    for (const [name, bytes] of [['a.nii', nii], ['a.nii.gz', gzipSync(nii)], ['two.nii.gz', twoMembers], ['long.nii', new Uint8Array([...nii, 1, 2, 3])]] as const) {
      expect((await readHeaderAt(at(name, bytes), name)).dims, name).toEqual(GLM_DIMS);
    }
  });
  it('cut files are refused naming the input and the file', async () => {
    await expectRejectsNamed(readHeaderAt(at('cut.nii', nii.subarray(0, nii.length - 1)), 'inputs.mask'), 'InvalidNifti', { input: 'inputs.mask', message: /inputs\.mask \(cut\.nii\) is truncated/ });
    const gz = gzipSync(nii);
    await expectRejectsNamed(readHeaderAt(at('cut.nii.gz', gz.subarray(0, gz.length - 9)), 'inputs.mask'), 'InvalidNifti', { input: 'inputs.mask' });
  });
});

describe('the participants-table cell rules on their own', () => {
  it('decimal numbers only, finite', () => {
    for (const [t, x] of [['12', 12], [' -3.5 ', -3.5], ['.5', 0.5], ['1e3', 1000], ['+2', 2], ['7.', 7], ['1E-2', 0.01]] as const) expect(decimalCell(t), t).toBe(x);
    for (const t of ['0x5f0', '0b101', '0o7', 'Infinity', '-Infinity', 'NaN', '1e999', '1_000', '', ' ', 'n/a', '1,5', '1.2.3', '--1', 'e3', undefined]) expect(decimalCell(t), String(t)).toBeUndefined();
  });
  it('deviation covariates: decimal numbers only, the row named, the cell not quoted', () => {
    const parts = [{ id: 'a', group: 'HC', mapRef: 'm', row: { tiv: '1500' } }, { id: 'b', group: 'HC', mapRef: 'm', row: { tiv: '0x5f0' } }];
    expect(Array.from(deviationCovariates(parts, [0], ['tiv'], 'p.tsv')!)).toEqual([1500]);
    const err = expectNamed(() => deviationCovariates(parts, [0, 1], ['tiv'], 'p.tsv'), 'InvalidJobSpec', { input: 'params.deviation.covariates', message: /p\.tsv row 2 \(b\): column "tiv"/ });
    expect(err.message).not.toContain('0x5f0');
  });
  it('group names are one safe path component', () => {
    for (const g of ['HC', 'DRE', 'TLE_L', 'a.b', 'x+y', 'left TLE']) expect(unsafeGroupName(g), g).toBeUndefined();
    for (const g of ['A/x', '../../HC', '..', '.', '.hidden', 'a\\b', 'x\ty', 'x\u0000']) expect(unsafeGroupName(g), JSON.stringify(g)).toBeDefined();
  });
  it('a header that disagrees with every row is blamed on its own line; a short row on its line', () => {
    expect(() => parseTable('id group map\na\tA\tm\nb\tB\tn\n', 't.tsv')).toThrow(/t\.tsv line 1 \(the header\): 1 column name\(s\), but every row has 3 fields/);
    expect(() => parseTable('\n\nid\tgroup\na\tA\tx\nb\tB\ty\n', 't.tsv')).toThrow(/line 3 \(the header\)/);
    expect(() => parseTable('id\tgroup\na\tA\nb\n', 't.tsv')).toThrow(/line 3: 1 fields, but the header has 2/);
    expect(parseTable('id\ta\nx\t1\n', 't.tsv').rows).toEqual([{ id: 'x', a: '1' }]);
  });
});

it('the corpus holds over 60 refused cases for glm, reho and the participants table', () => {
  expect(glm.length + reho.length).toBeGreaterThan(60);
  // every error name the corpus asserts is a named error (never an internal one)
  for (const c of [...glm, ...reho]) expect('error' in c && /^[A-Z][A-Za-z]+$/.test(c.error)).toBe(true);
});
