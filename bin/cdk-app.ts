/**
 * CDK app entry (cdk.json: "app": "node --import tsx bin/cdk-app.ts").
 *   npx cdk synth                       # offline, CDK_DISABLE_CLI_TELEMETRY=true
 *   npx cdk deploy -c neuroburst:reservedConcurrency=50
 * Stack name: context `neuroburst:stackName` (default Neuroburst).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { NeuroburstStack, settingsFromContext } from '../lib/stack.ts';

const app = new App();
const get = (k: string) => app.node.tryGetContext(k) as unknown;
const stackName = String(get('neuroburst:stackName') ?? 'Neuroburst');
new NeuroburstStack(app, stackName, {
  stackName,
  description: 'neuroburst: group statistics and network mapping of neuroimaging cohorts as cost-capped serverless jobs',
  settings: settingsFromContext(get),
  env: process.env.CDK_DEFAULT_ACCOUNT ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } : undefined,
});
if (get('neuroburst:nag') !== 'false') Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
