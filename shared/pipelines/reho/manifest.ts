import type { PipelineManifest } from '../manifest.ts';

/** The group step (params.group): RehoGroup writes the glm job, GroupRun starts the glm workflow (statemachines/glm.asl.json) on it. */
export const rehoManifest: PipelineManifest = {
  name: 'reho',
  stages: [
    { handler: 'RehoPlan', task: 'plan', entry: 'functions/reho-plan.ts', shard: 'job' },
    { handler: 'RehoSignals', task: 'rehoSignals', entry: 'functions/reho-signals.ts', shard: 'subject' },
    { handler: 'RehoSlab', task: 'rehoSlab', entry: 'functions/reho-slab.ts', shard: 'subject-slab' },
    { handler: 'RehoSubject', task: 'rehoSubject', entry: 'functions/reho-subject.ts', shard: 'subject' },
    { handler: 'RehoGroup', task: 'plan', entry: 'functions/reho-group.ts', shard: 'job' },
    { handler: 'RehoReduce', task: 'reduce', entry: 'functions/reho-reduce.ts', shard: 'job' },
  ],
};
