/**
 * Data files shipped with the code (assets/): under NEUROBURST_ASSETS_DIR when set (the
 * Lambda bundle carries assets/ next to its code, see lib/compute.ts), else in the repository.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';

export function assetPath(rel: string): string {
  const dir = process.env.NEUROBURST_ASSETS_DIR;
  return dir ? `${dir.replace(/\/+$/, '')}/${rel}` : fileURLToPath(new URL(`../assets/${rel}`, import.meta.url));
}

export function assetUri(rel: string): string {
  return pathToFileURL(assetPath(rel)).href;
}
