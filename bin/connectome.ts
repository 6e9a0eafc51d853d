/**
 * `neuroburst connectome …`: prepare a normative connectome in neuroburst's format
 * (shared/netmap/connectome.ts) from preprocessed 4-D resting-state runs, or write the
 * synthetic one used by the demo and tests.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidParameter, InvalidParticipants } from '../shared/errors.ts';
import { parseTable } from '../shared/jobs/table.ts';
import { assertSameSpace, readNifti, writeNifti } from '../shared/nifti/index.ts';
import { LocalStore, readUri, resolveRef } from '../shared/storage/index.ts';
import { CONNECTOME_FORMAT, ConnectomeWriter, packRun, writeConnectome, type ConnectomeManifest } from '../shared/netmap/connectome.ts';
import { demoConnectome } from '../shared/demo/connectome.ts';

/**
 * Pack runs listed in a table (columns `subject`, `run`: a 4-D NIfTI per row, several rows
 * per subject for several runs) inside `maskPath` (non-zero voxels) into `outDir`.
 * Every run must share the mask's grid. Subjects are streamed: each subject's runs are
 * read, packed and written before the next subject is read, so memory does not grow with
 * the cohort. `onSubject` (optional) is called after each subject is written.
 */
export async function packConnectome(
  tablePath: string,
  maskPath: string,
  outDir: string,
  name = basename(resolve(outDir)),
  opts: { onSubject?: (index: number, id: string) => void | Promise<void> } = {},
): Promise<ConnectomeManifest> {
  const tableUri = pathToFileURL(resolve(tablePath)).href;
  const base = tableUri.slice(0, tableUri.lastIndexOf('/') + 1);
  const table = parseTable(readFileSync(tablePath, 'utf8'), tablePath);
  for (const c of ['subject', 'run']) if (!table.columns.includes(c)) throw new InvalidParticipants(`${tablePath} has no column "${c}" (columns: ${table.columns.join(', ')})`, tablePath);
  const maskVol = readNifti(readFileSync(maskPath), maskPath);
  const h = maskVol.header;
  const dims: [number, number, number] = [h.dims[0]!, h.dims[1]!, h.dims[2]!];
  const nVox = dims[0] * dims[1] * dims[2];
  const mask = Uint8Array.from(maskVol.data.subarray(0, nVox), (x) => (x !== 0 && Number.isFinite(x) ? 1 : 0));
  const V = mask.reduce((a, b) => a + b, 0);
  if (V === 0) throw new InvalidParameter(`${maskPath} has no non-zero voxel`, maskPath);
  const bySubject = new Map<string, string[]>();
  table.rows.forEach((row, i) => {
    if (!row.subject || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/.test(row.subject)) throw new InvalidParticipants(`${tablePath} row ${i + 1}: subject "${row.subject ?? ''}" must be letters, digits, ".", "_" or "-"`, tablePath);
    if (!row.run) throw new InvalidParticipants(`${tablePath} row ${i + 1} (${row.subject}): empty run`, tablePath);
    bySubject.set(row.subject, [...(bySubject.get(row.subject) ?? []), row.run]);
  });
  if (bySubject.size < 2) throw new InvalidParticipants(`${tablePath} lists ${bySubject.size} subject(s); a connectome needs at least 2`, tablePath);
  mkdirSync(outDir, { recursive: true });
  const pixdim: [number, number, number] = [Math.abs(h.pixdim[0]!), Math.abs(h.pixdim[1]!), Math.abs(h.pixdim[2]!)];
  const writer = new ConnectomeWriter(new LocalStore(outDir), '', V);
  await writer.writeMask('mask.nii.gz', writeNifti({ dims, affine: h.affine, pixdim, data: Float32Array.from(mask) }, { datatype: 'uint8' }));
  for (const [id, runRefs] of bySubject) {
    const runs: Float32Array[] = [];
    for (const ref of runRefs) {
      const field = `${tablePath} (${id}) ${ref}`;
      const vol = readNifti(await readUri(resolveRef(ref, base)), field);
      assertSameSpace(h, vol.header, field);
      const T = vol.header.dims[3] ?? 1;
      if (T < 3) throw new InvalidParameter(`${field} has ${T} volume(s); a run needs at least 3`, field);
      runs.push(packRun(vol.data, nVox, T, mask));
    }
    await writer.addSubject(id, runs);
    await opts.onSubject?.(writer.count - 1, id);
  }
  return writer.finish({ format: CONNECTOME_FORMAT, name, grid: { dims, affine: Array.from(h.affine), pixdim }, mask: 'mask.nii.gz' });
}

/**
 * The synthetic connectome and an example netmap job beside it; returns the job path. With `sweep`, the job is a
 * sensitivity sweep (thresholds × diameters, per-modality and leave-one-diagnosis-out networks, each coordinate on its
 * own) mapped in the one connectome pass.
 */
export async function writeDemoNetmap(dir: string, seed = 1, subjects = 24, sweep = false): Promise<string> {
  const demo = demoConnectome(seed, subjects);
  const cdir = join(dir, 'connectome');
  mkdirSync(cdir, { recursive: true });
  const g = demo.manifest.grid;
  const maskNifti = writeNifti({ dims: g.dims, affine: Float64Array.from(g.affine), pixdim: g.pixdim, data: Float32Array.from(demo.mask) }, { datatype: 'uint8' });
  await writeConnectome(new LocalStore(cdir), '', demo.manifest, maskNifti, (s) => demo.runs[s]!);
  const rows = sweep
    ? ['study,x,y,z,modality,diagnosis', 'study-thalamus,-12,-18,6,structural,GTCS', 'study-thalamus,-10,-22,2,structural,GTCS', 'study-cerebellum,30,-66,-30,functional,JME', 'study-occipital,-24,-90,6,functional,absence']
    : ['study,x,y,z', 'study-thalamus,-12,-18,6', 'study-thalamus,-10,-22,2', 'study-cerebellum,30,-66,-30', 'study-occipital,-24,-90,6'];
  writeFileSync(join(dir, 'seeds.csv'), rows.join('\n') + '\n');
  const params = sweep
    ? { sweep: { thresholds: [5.1, 4, 7], sphereDiameterMm: [12, 9], subsets: ['modality'], leaveOneOut: ['diagnosis'], perCoordinate: true } }
    : { sphereDiameterMm: 12, threshold: 5.1 };
  const job = { jobId: sweep ? 'demo-netmap-sweep' : 'demo-netmap', pipeline: 'netmap', inputs: { connectome: 'connectome/connectome.json', seeds: 'seeds.csv' }, params };
  writeFileSync(join(dir, 'job.json'), JSON.stringify(job, null, 2) + '\n');
  return join(dir, 'job.json');
}
