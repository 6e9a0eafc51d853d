import type { PipelineManifest } from '../manifest.ts';

export const transcriptomicsManifest: PipelineManifest = {
  name: 'transcriptomics',
  stages: [
    { handler: 'TxPlan', task: 'plan', entry: 'functions/tx-plan.ts', shard: 'job' },
    { handler: 'TxSpins', task: 'txSpins', entry: 'functions/tx-spins.ts', shard: 'batch' },
    { handler: 'TxResolveSpins', task: 'txSpins', entry: 'functions/tx-resolve-spins.ts', shard: 'job' },
    { handler: 'TxNulls', task: 'txNulls', entry: 'functions/tx-nulls.ts', shard: 'batch' },
    { handler: 'TxReduce', task: 'reduce', entry: 'functions/tx-reduce.ts', shard: 'job' },
  ],
};
