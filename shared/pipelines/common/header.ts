/** Reading a NIfTI header from storage, and checking that the file holds the voxels it describes. */
import { InvalidNifti, MissingInput } from '../../errors.ts';
import { imageByteLength, isGzip, readNifti, readNiftiHeader, truncatedNifti } from '../../nifti/index.ts';
import type { NiftiHeader } from '../../nifti/index.ts';
import { existsUri, readUri, sizeUri } from '../../storage/index.ts';

/** The last path component of a URI (for messages: the file, not its contents). */
function fileName(uri: string): string {
  return decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1));
}

/**
 * Read a NIfTI header without fetching the whole file when possible (a 64 KiB prefix; the
 * whole file only if gzip framing needs it), then check that the file is long enough for the
 * voxels the header describes, so a cut file is refused here (InvalidNifti naming `input`
 * and the file) rather than read short later by ranged reads:
 *  - uncompressed: the object's size must reach vox_offset + the voxel bytes;
 *  - gzip: when the stream's trailer (ISIZE, the decompressed length mod 2^32) equals that
 *    length the file is taken as whole; otherwise (a cut stream, bytes after the voxels, a file
 *    of several gzip members) the whole file is decompressed and checked, so only a really
 *    short file is refused.
 */
export async function readHeaderAt(uri: string, input: string): Promise<NiftiHeader> {
  if (!(await existsUri(uri))) throw new MissingInput(`${input}: ${uri} does not exist`, input);
  const head = await readUri(uri, { start: 0, end: 1 << 16 });
  let header: NiftiHeader;
  if (!isGzip(head) || head.byteLength < 1 << 16) header = readNiftiHeader(head, input);
  else {
    try {
      header = readNiftiHeader(head, input);
    } catch (e) {
      if (!(e instanceof InvalidNifti)) throw e;
      header = readNiftiHeader(await readUri(uri), input);
    }
  }
  await checkLength(uri, header, input, isGzip(head));
  return header;
}

async function checkLength(uri: string, header: NiftiHeader, input: string, gzip: boolean): Promise<void> {
  const need = header.voxOffset + imageByteLength(header);
  const size = await sizeUri(uri);
  const source = `${input} (${fileName(uri)})`;
  if (!gzip) {
    if (size < need) throw truncatedNifti(header, size, source, false, input);
    return;
  }
  if (size < 18) throw new InvalidNifti(`${source} is a cut gzip stream (${size} bytes)`, input);
  const tail = await readUri(uri, { start: size - 4, end: size });
  const isize = new DataView(tail.buffer, tail.byteOffset, 4).getUint32(0, true);
  if (isize === need % 2 ** 32) return;
  // the trailer disagrees (a cut stream, bytes after the voxels, several gzip members): decompress the whole stream to tell
  try {
    readNifti(await readUri(uri), source);
  } catch (e) {
    if (e instanceof InvalidNifti) throw new InvalidNifti(e.message, input);
    throw e;
  }
}
