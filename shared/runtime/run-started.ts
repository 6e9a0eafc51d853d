/** Set by the local runner in its worker threads: when the run began (ISO time), before the runner's start-up and Validate. */
export const RUN_STARTED_ENV = 'NEUROBURST_RUN_STARTED_AT';
