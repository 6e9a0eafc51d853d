import type { PipelineManifest } from '../manifest.ts';

export const glmManifest: PipelineManifest = {
  name: 'glm',
  stages: [
    { handler: 'GlmPlan', task: 'plan', entry: 'functions/glm-plan.ts', shard: 'job' },
    { handler: 'GlmPrepare', task: 'prepare', entry: 'functions/glm-prepare.ts', shard: 'subject' },
    { handler: 'GlmMask', task: 'mask', entry: 'functions/glm-mask.ts', shard: 'job' },
    { handler: 'GlmSlab', task: 'glmSlab', entry: 'functions/glm-slab.ts', shard: 'slab' },
    { handler: 'GlmPermute', task: 'glmPermute', entry: 'functions/glm-permute.ts', shard: 'batch' },
    { handler: 'GlmReduce', task: 'reduce', entry: 'functions/glm-reduce.ts', shard: 'job' },
  ],
};
