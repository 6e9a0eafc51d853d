import { allStages } from '../shared/pipelines/manifests.ts';
import { handler as validate } from './validate.ts';
import { handler as glmPlan } from './glm-plan.ts';
import { handler as glmPrepare } from './glm-prepare.ts';
import { handler as glmMask } from './glm-mask.ts';
import { handler as glmSlab } from './glm-slab.ts';
import { handler as glmPermute } from './glm-permute.ts';
import { handler as glmReduce } from './glm-reduce.ts';
import { handler as alePlan } from './ale-plan.ts';
import { handler as aleObserve } from './ale-observe.ts';
import { handler as aleMonteCarlo } from './ale-montecarlo.ts';
import { handler as aleReduce } from './ale-reduce.ts';
import { handler as aleThreshold } from './ale-threshold.ts';
import { handler as aleJackknife } from './ale-jackknife.ts';
import { handler as aleContrast } from './ale-contrast.ts';
import { handler as rehoPlan } from './reho-plan.ts';
import { handler as rehoSignals } from './reho-signals.ts';
import { handler as rehoSlab } from './reho-slab.ts';
import { handler as rehoSubject } from './reho-subject.ts';
import { handler as rehoGroup } from './reho-group.ts';
import { handler as rehoReduce } from './reho-reduce.ts';
import { handler as netmapPlan } from './netmap-plan.ts';
import { handler as netmapChunk } from './netmap-chunk.ts';
import { handler as netmapMaps } from './netmap-maps.ts';
import { handler as netmapSpecificity } from './netmap-specificity.ts';
import { handler as netmapReduce } from './netmap-reduce.ts';
import { handler as txPlan } from './tx-plan.ts';
import { handler as txSpins } from './tx-spins.ts';
import { handler as txResolveSpins } from './tx-resolve-spins.ts';
import { handler as txNulls } from './tx-nulls.ts';
import { handler as txReduce } from './tx-reduce.ts';
import { handler as recordFailure } from './record-failure.ts';

type Handler = (event: never) => Promise<unknown>;

/** Every handler module by its path (static imports, so bundlers see them). */
const MODULES: Record<string, Handler> = {
  'functions/validate.ts': validate,
  'functions/glm-plan.ts': glmPlan,
  'functions/glm-prepare.ts': glmPrepare,
  'functions/glm-mask.ts': glmMask,
  'functions/glm-slab.ts': glmSlab,
  'functions/glm-permute.ts': glmPermute,
  'functions/glm-reduce.ts': glmReduce,
  'functions/ale-plan.ts': alePlan,
  'functions/ale-observe.ts': aleObserve,
  'functions/ale-montecarlo.ts': aleMonteCarlo,
  'functions/ale-reduce.ts': aleReduce,
  'functions/ale-threshold.ts': aleThreshold,
  'functions/ale-jackknife.ts': aleJackknife,
  'functions/ale-contrast.ts': aleContrast,
  'functions/reho-plan.ts': rehoPlan,
  'functions/reho-signals.ts': rehoSignals,
  'functions/reho-slab.ts': rehoSlab,
  'functions/reho-subject.ts': rehoSubject,
  'functions/reho-group.ts': rehoGroup,
  'functions/reho-reduce.ts': rehoReduce,
  'functions/netmap-plan.ts': netmapPlan,
  'functions/netmap-chunk.ts': netmapChunk,
  'functions/netmap-maps.ts': netmapMaps,
  'functions/netmap-specificity.ts': netmapSpecificity,
  'functions/netmap-reduce.ts': netmapReduce,
  'functions/tx-plan.ts': txPlan,
  'functions/tx-spins.ts': txSpins,
  'functions/tx-resolve-spins.ts': txResolveSpins,
  'functions/tx-nulls.ts': txNulls,
  'functions/tx-reduce.ts': txReduce,
  'functions/record-failure.ts': recordFailure,
};

/**
 * Every task handler by the name its ASL placeholder uses (`${<Name>FunctionArn}`), from the
 * pipeline manifests (shared/pipelines/manifests.ts). CDK deploys one function per entry; the
 * local runner binds them by the same names. A manifest stage without a module, or a module
 * no manifest lists, is an error at load time.
 */
export const handlers: Record<string, Handler> = Object.fromEntries(
  allStages().map((s) => {
    const h = MODULES[s.entry];
    if (!h) throw new Error(`manifest stage ${s.handler}: ${s.entry} is not imported by functions/index.ts`);
    return [s.handler, h];
  }),
);
for (const entry of Object.keys(MODULES)) {
  if (!allStages().some((s) => s.entry === entry)) throw new Error(`functions/index.ts imports ${entry}, which no pipeline manifest lists`);
}
