/** Reading a NIfTI header from storage. */
import { InvalidNifti, MissingInput } from '../../errors.ts';
import { isGzip, readNiftiHeader } from '../../nifti/index.ts';
import type { NiftiHeader } from '../../nifti/index.ts';
import { existsUri, readUri } from '../../storage/index.ts';

/** Read a NIfTI header without fetching the whole file when possible (a 64 KiB prefix; the whole file only if gzip framing needs it). */
export async function readHeaderAt(uri: string, input: string): Promise<NiftiHeader> {
  if (!(await existsUri(uri))) throw new MissingInput(`${input}: ${uri} does not exist`, input);
  const head = await readUri(uri, { start: 0, end: 1 << 16 });
  if (!isGzip(head) || head.byteLength < 1 << 16) return readNiftiHeader(head, input);
  try {
    return readNiftiHeader(head, input);
  } catch (e) {
    if (!(e instanceof InvalidNifti)) throw e;
    return readNiftiHeader(await readUri(uri), input);
  }
}

