/**
 * Every pipeline's manifest: the one registry line a new pipeline adds (besides its folder,
 * its ASL file and its entry in registry.ts). Data only, so CDK and the local runner read it
 * without loading any compute code.
 */
import { COMMON_STAGES, type PipelineManifest, type StageManifest } from './manifest.ts';
import { glmManifest } from './glm/manifest.ts';
import { aleManifest } from './ale/manifest.ts';
import { rehoManifest } from './reho/manifest.ts';
import { netmapManifest } from './netmap/manifest.ts';
import { transcriptomicsManifest } from './transcriptomics/manifest.ts';

export const MANIFESTS: PipelineManifest[] = [glmManifest, aleManifest, rehoManifest, netmapManifest, transcriptomicsManifest];

/** Every stage of every pipeline plus the common ones, each handler once. */
export function allStages(): StageManifest[] {
  const byName = new Map<string, StageManifest>();
  for (const s of [...COMMON_STAGES, ...MANIFESTS.flatMap((m) => m.stages)]) {
    const seen = byName.get(s.handler);
    if (seen && (seen.task !== s.task || seen.entry !== s.entry)) throw new Error(`handler ${s.handler} is declared twice with different settings`);
    byName.set(s.handler, s);
  }
  return [...byName.values()];
}

export function manifestOf(pipeline: string): PipelineManifest | undefined {
  return MANIFESTS.find((m) => m.name === pipeline);
}
