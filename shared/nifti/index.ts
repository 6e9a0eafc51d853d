/** NIfTI I/O: header parsing, voxel decoding, writing, and voxel <-> mm geometry. */
export {
  type DatatypeName,
  type NiftiHeader,
  type NiftiIntent,
  HEADER_PROBE_BYTES,
  NIFTI1_HEADER_SIZE,
  NIFTI2_HEADER_SIZE,
  bytesPerVoxel,
  datatypeCode,
  imageByteLength,
  parseNiftiHeader,
  voxelCount,
} from './header.ts';
export {
  type NiftiVolume,
  decodeVoxels,
  gunzipPrefix,
  isGzip,
  readNifti,
  readNiftiAsync,
  readNiftiHeader,
  slabByteRange,
  truncatedNifti,
} from './read.ts';
export { type WritableVolume, type WriteDatatype, type WriteOptions, NIFTI_INTENT, statIntent, encodeNifti, gzipNifti, writeNifti, writeNiftiAsync } from './write.ts';
export {
  type Quatern,
  affineToQuatern,
  affineVoxelSizes,
  assertSameSpace,
  formatAffine,
  identityAffine,
  invertAffine,
  mmToVoxel,
  quaternToAffine,
  voxelToMm,
} from './affine.ts';
