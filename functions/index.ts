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
import { handler as txNulls } from './tx-nulls.ts';
import { handler as txReduce } from './tx-reduce.ts';
import { handler as recordFailure } from './record-failure.ts';

/**
 * Every task handler by the name its ASL placeholder uses (`${<Name>FunctionArn}`).
 * CDK deploys one function per entry; the local runner binds them by the same names.
 */
export const handlers: Record<string, (event: never) => Promise<unknown>> = {
  Validate: validate,
  GlmPlan: glmPlan,
  GlmPrepare: glmPrepare,
  GlmMask: glmMask,
  GlmSlab: glmSlab,
  GlmPermute: glmPermute,
  GlmReduce: glmReduce,
  AlePlan: alePlan,
  AleObserve: aleObserve,
  AleMonteCarlo: aleMonteCarlo,
  AleReduce: aleReduce,
  AleThreshold: aleThreshold,
  AleJackknife: aleJackknife,
  AleContrast: aleContrast,
  RehoPlan: rehoPlan,
  RehoSignals: rehoSignals,
  RehoSlab: rehoSlab,
  RehoSubject: rehoSubject,
  RehoGroup: rehoGroup,
  RehoReduce: rehoReduce,
  NetmapPlan: netmapPlan,
  NetmapChunk: netmapChunk,
  NetmapMaps: netmapMaps,
  NetmapSpecificity: netmapSpecificity,
  NetmapReduce: netmapReduce,
  TxPlan: txPlan,
  TxNulls: txNulls,
  TxReduce: txReduce,
  RecordFailure: recordFailure,
};
