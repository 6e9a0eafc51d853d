import type { PipelineManifest } from '../manifest.ts';

export const netmapManifest: PipelineManifest = {
  name: 'netmap',
  stages: [
    { handler: 'NetmapPlan', task: 'plan', entry: 'functions/netmap-plan.ts', shard: 'job' },
    { handler: 'NetmapChunk', task: 'netmapChunk', entry: 'functions/netmap-chunk.ts', shard: 'chunk' },
    { handler: 'NetmapMaps', task: 'netmapMaps', entry: 'functions/netmap-maps.ts', shard: 'job' },
    { handler: 'NetmapSpecificity', task: 'netmapSpecificity', entry: 'functions/netmap-specificity.ts', shard: 'batch' },
    { handler: 'NetmapReduce', task: 'reduce', entry: 'functions/netmap-reduce.ts', shard: 'job' },
  ],
};
