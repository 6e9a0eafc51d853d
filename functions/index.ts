import { handler as validate } from './validate.ts';
import { handler as glmPlan } from './glm-plan.ts';
import { handler as glmPrepare } from './glm-prepare.ts';
import { handler as glmMask } from './glm-mask.ts';
import { handler as glmSlab } from './glm-slab.ts';
import { handler as glmReduce } from './glm-reduce.ts';
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
  GlmReduce: glmReduce,
  RecordFailure: recordFailure,
};
