import type { PipelineManifest } from '../manifest.ts';

export const aleManifest: PipelineManifest = {
  name: 'ale',
  stages: [
    { handler: 'AlePlan', task: 'plan', entry: 'functions/ale-plan.ts', shard: 'job' },
    { handler: 'AleObserve', task: 'aleObserve', entry: 'functions/ale-observe.ts', shard: 'job' },
    { handler: 'AleMonteCarlo', task: 'aleMonteCarlo', entry: 'functions/ale-montecarlo.ts', shard: 'batch' },
    { handler: 'AleThreshold', task: 'aleThreshold', entry: 'functions/ale-threshold.ts', shard: 'job' },
    { handler: 'AleJackknife', task: 'aleJackknife', entry: 'functions/ale-jackknife.ts', shard: 'experiments' },
    { handler: 'AleContrast', task: 'aleContrast', entry: 'functions/ale-contrast.ts', shard: 'batch' },
    { handler: 'AleReduce', task: 'reduce', entry: 'functions/ale-reduce.ts', shard: 'job' },
  ],
};
