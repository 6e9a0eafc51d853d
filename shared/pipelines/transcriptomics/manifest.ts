import type { PipelineManifest } from '../manifest.ts';

export const transcriptomicsManifest: PipelineManifest = {
  name: 'transcriptomics',
  stages: [
    { handler: 'TxPlan', task: 'txPlan', entry: 'functions/tx-plan.ts', shard: 'job' },
    { handler: 'TxNulls', task: 'txNulls', entry: 'functions/tx-nulls.ts', shard: 'batch' },
    { handler: 'TxReduce', task: 'reduce', entry: 'functions/tx-reduce.ts', shard: 'job' },
  ],
};
