/**
 * The retry policy every Task state of the workflows carries (checked against the ASL files by
 * test/asl-config.test.ts): transient Lambda service errors, and throttling or service errors of
 * Step Functions' own startExecution integration. Task errors of our handlers (named
 * NeuroburstErrors) are never retried: they go to the Catch and error.json.
 */
const BACKOFF = { IntervalSeconds: 2, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: 'FULL' } as const;

export const LAMBDA_RETRY = [
  {
    ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', 'Lambda.Unknown'],
    IntervalSeconds: BACKOFF.IntervalSeconds,
    MaxAttempts: 5,
    BackoffRate: BACKOFF.BackoffRate,
    MaxDelaySeconds: BACKOFF.MaxDelaySeconds,
    JitterStrategy: BACKOFF.JitterStrategy,
  },
];

export const START_EXECUTION_RETRY = [
  {
    ErrorEquals: ['StepFunctions.ExecutionLimitExceededException', 'StepFunctions.SdkClientException', 'StepFunctions.AWSStepFunctionsException', 'StepFunctions.ThrottlingException'],
    IntervalSeconds: BACKOFF.IntervalSeconds,
    MaxAttempts: 6,
    BackoffRate: BACKOFF.BackoffRate,
    MaxDelaySeconds: BACKOFF.MaxDelaySeconds,
    JitterStrategy: BACKOFF.JitterStrategy,
  },
];

/** TimeoutSeconds of a startExecution task: a fire-and-forget start (60 s) or a `.sync` wait on a whole job (one day). */
export const START_EXECUTION_TIMEOUT = { start: 60, sync: 86400 } as const;
