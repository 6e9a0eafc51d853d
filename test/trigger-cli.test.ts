/**
 * The cloud CLI's Step Functions side without AWS: the client factory's endpoint
 * variables and the SDK's SigV4 JSON requests (against a local HTTP server), and how `status`
 * reads stage and shard progress from an execution history.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointFor, sfnClient } from '../bin/cloud/clients.ts';
import { summariseHistory } from '../bin/cloud/status.ts';

const seen: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    seen.push({ headers: req.headers, body });
    const target = String(req.headers['x-amz-target']);
    if (target.endsWith('DescribeExecution') && JSON.parse(body).executionArn.endsWith(':missing')) {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: 'com.amazonaws.swf.service.v2.model#ExecutionDoesNotExist', message: 'Execution Does Not Exist' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify({ status: 'RUNNING' }));
  });
});
let url = '';
const saved = { ...process.env };

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'eu-west-1' });
});
afterAll(async () => {
  process.env = saved;
  await new Promise((r) => server.close(r));
});

describe('client factory', () => {
  it('prefers the per-service endpoint variable over AWS_ENDPOINT_URL', () => {
    expect(endpointFor('SFN', { AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_SFN: 'http://b' })).toBe('http://b');
    expect(endpointFor('SFN', { AWS_ENDPOINT_URL: 'http://a' })).toBe('http://a');
    expect(endpointFor('S3', { AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_S3: 'http://c' })).toBe('http://c');
    expect(endpointFor('SFN', {})).toBeUndefined();
    expect(sfnClient({ AWS_REGION: 'eu-west-1' }).endpoint).toBe('https://states.eu-west-1.amazonaws.com');
  });

  it('sends SigV4-signed JSON 1.0 requests (@aws-sdk/client-sfn) and turns service errors into named errors', async () => {
    const sfn = sfnClient({ ...process.env, AWS_ENDPOINT_URL_SFN: url });
    expect(sfn.endpoint).toBe(url);
    await expect(sfn.send('DescribeExecution', { executionArn: 'arn:x:ok' })).resolves.toEqual({ status: 'RUNNING' });
    const req = seen.at(-1)!;
    expect(req.headers['x-amz-target']).toBe('AWSStepFunctions.DescribeExecution');
    expect(req.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(String(req.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/states\/aws4_request, SignedHeaders=.*x-amz-target.*, Signature=[0-9a-f]{64}$/);
    expect(JSON.parse(req.body)).toEqual({ executionArn: 'arn:x:ok' });
    await expect(sfn.send('DescribeExecution', { executionArn: 'arn:x:missing' })).rejects.toMatchObject({ name: 'ExecutionDoesNotExist', status: 400 });
  });

  it('reaches the endpoint of AWS_ENDPOINT_URL when no per-service variable is set', async () => {
    const before = seen.length;
    const sfn = sfnClient({ ...process.env, AWS_ENDPOINT_URL: url, AWS_ENDPOINT_URL_SFN: '' });
    expect(sfn.endpoint).toBe(url);
    await expect(sfn.send('DescribeExecution', { executionArn: 'arn:x:ok' })).resolves.toEqual({ status: 'RUNNING' });
    expect(seen.length).toBe(before + 1);
  });
});

describe('status from an execution history', () => {
  it('reports the stage, inline Map progress and Distributed Map runs', () => {
    const h = summariseHistory([
      { type: 'ExecutionStarted' },
      { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Validate' } },
      { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Plan' } },
      { type: 'MapStateEntered', stateEnteredEventDetails: { name: 'FitSlabs' } },
      { type: 'MapStateStarted', mapStateStartedEventDetails: { length: 4 } },
      { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'FitSlab' } },
      { type: 'MapIterationSucceeded' },
      { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'FitSlab' } },
      { type: 'MapIterationSucceeded' },
      { type: 'MapIterationFailed' },
      { type: 'MapStateEntered', stateEnteredEventDetails: { name: 'Permutations' } },
      { type: 'MapRunStarted', mapRunStartedEventDetails: { mapRunArn: 'arn:aws:states:us-east-1:1:mapRun:m/r:1' } },
    ]);
    expect(h.stage).toBe('Permutations');
    expect(h.transitions).toBe(6);
    expect(h.maps).toEqual([{ state: 'FitSlabs', done: 2, total: 4, failed: 1, distributed: false }]);
    expect(h.mapRunArns).toEqual([{ state: 'Permutations', arn: 'arn:aws:states:us-east-1:1:mapRun:m/r:1' }]);
  });
});
