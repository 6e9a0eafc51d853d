import { createHash } from 'node:crypto';
import { InvalidParameter, MissingInput } from '../../errors.ts';
import { readNifti } from '../../nifti/index.ts';
import type { TaskEnv } from '../../runtime/task.ts';
import { jobLocation } from '../common/context.ts';
import { existsUri, readUri, resolveRef } from '../../storage/index.ts';
import { factorial } from '../../transcriptomics/nulls.ts';
import { zscore } from '../../transcriptomics/pls.ts';
import { assemblePlsInputs, selects, UnknownRegions } from '../../transcriptomics/select.ts';
import { parseCentroids, parseExpression, parseRegionValues } from '../../transcriptomics/tables.ts';
import type { Centroid } from '../../transcriptomics/tables.ts';
import { parseLabelTable } from '../../volume/atlas-labels.ts';
import { parseEdgeList, parseGmt } from '../../enrichment/index.ts';
import { deseqFromTables } from '../../rnaseq/index.ts';
import { parcellate } from '../../volume/parcellate.ts';
import type { ParcellationResult } from '../../volume/parcellate.ts';
import type { CorrelationInput, TxContext } from './context.ts';
import { keys } from './context.ts';
import type { TranscriptomicsJob } from './job.ts';

async function readText(ref: string, baseUri: string, field: string): Promise<{ uri: string; text: string }> {
  const uri = resolveRef(ref, baseUri);
  if (!(await existsUri(uri))) throw new MissingInput(`${field}: ${uri} does not exist`, field);
  return { uri, text: new TextDecoder().decode(await readUri(uri)) };
}

async function readVolume(ref: string, baseUri: string, field: string) {
  const uri = resolveRef(ref, baseUri);
  if (!(await existsUri(uri))) throw new MissingInput(`${field}: ${uri} does not exist`, field);
  const v = readNifti(await readUri(uri), field);
  return { uri, data: v.data, dims: v.header.dims.slice(0, 3), affine: v.header.affine };
}

/** Parcellate a NIfTI map by the job's atlas: region name → regional statistic. */
async function parcellateMap(job: TranscriptomicsJob, baseUri: string, mapRef: string, field: string): Promise<{ values: Map<string, number>; result: ParcellationResult }> {
  if (!job.inputs.atlas || !job.inputs.atlasLabels) throw new InvalidParameter(`${field} (a NIfTI map) needs inputs.atlas and inputs.atlasLabels`, field);
  const map = await readVolume(mapRef, baseUri, field);
  const atlas = await readVolume(job.inputs.atlas, baseUri, 'inputs.atlas');
  const labels = parseLabelTable((await readText(job.inputs.atlasLabels, baseUri, 'inputs.atlasLabels')).text, 'inputs.atlasLabels');
  const pp = job.params.parcellation;
  const result = parcellate(map, atlas, { labels, minVoxels: pp.minVoxels, ignoreZeros: pp.ignoreZeros, mapInput: field, atlasInput: 'inputs.atlas' });
  const values = new Map<string, number>();
  for (const r of result.regions) values.set(r.name, pp.statistic === 'median' ? r.median : r.mean);
  return { values, result };
}

function centroidsFor(regions: readonly string[], cents: Map<string, Centroid>, field: string): { coords: number[]; hemi: number[] } {
  const missing = regions.filter((r) => !cents.has(r));
  if (missing.length) throw new UnknownRegions(`${field} has no centroid for ${missing.length} region(s): ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`, field);
  const coords: number[] = [];
  const hemi: number[] = [];
  for (const r of regions) {
    const c = cents.get(r)!;
    coords.push(...c.xyz);
    hemi.push(c.hemi);
  }
  return { coords, hemi };
}

/** Check a transcriptomics job's inputs, assemble X and y, write the context and X. */
export async function validateTranscriptomics(env: TaskEnv, job: TranscriptomicsJob, jobUri: string): Promise<TxContext> {
  const baseUri = jobUri.slice(0, jobUri.lastIndexOf('/') + 1);
  const { inputs, params } = job;
  // enrichment, PPI and RNA-seq inputs: parsed here so that malformed files fail before any fan-out
  const geneSetRefs = inputs.geneSets === undefined ? [] : Array.isArray(inputs.geneSets) ? inputs.geneSets : [inputs.geneSets];
  for (const [i, ref] of geneSetRefs.entries()) parseGmt((await readText(ref, baseUri, `inputs.geneSets[${i}]`)).text, ref);
  if (inputs.ppi) parseEdgeList((await readText(inputs.ppi, baseUri, 'inputs.ppi')).text, inputs.ppi);
  if (!!inputs.counts !== !!inputs.samples) throw new InvalidParameter('RNA-seq differential expression needs both inputs.counts and inputs.samples', inputs.counts ? 'inputs.samples' : 'inputs.counts');
  if (inputs.counts && inputs.samples) {
    const d = params.deg;
    deseqFromTables((await readText(inputs.counts, baseUri, 'inputs.counts')).text, (await readText(inputs.samples, baseUri, 'inputs.samples')).text, {
      ...d,
      countsSource: 'inputs.counts',
      samplesSource: 'inputs.samples',
    });
  }
  if (inputs.ppi && params.mcode.list === 'deg' && !inputs.counts) throw new InvalidParameter('params.mcode.list "deg" needs inputs.counts and inputs.samples', 'params.mcode.list');
  if ((inputs.geneSets || inputs.ppi) && params.nulls.bootstraps === 0 && params.enrichment.top === undefined) {
    throw new InvalidParameter('gene lists by q need bootstraps (params.nulls.bootstraps > 0) or params.enrichment.top', 'params.enrichment');
  }
  if (!!inputs.map === !!inputs.regionValues) throw new InvalidParameter('give the response as inputs.map (with inputs.atlas and inputs.atlasLabels) or as inputs.regionValues, not both or neither', inputs.map ? 'inputs.regionValues' : 'inputs.map');

  // response
  let response: Map<string, number>;
  let parcellation: TxContext['parcellation'];
  let responseField: string;
  if (inputs.map) {
    responseField = 'inputs.map';
    const p = await parcellateMap(job, baseUri, inputs.map, 'inputs.map');
    response = p.values;
    parcellation = { regions: p.result.regions, resampling: p.result.resampling, unlabelledVoxels: p.result.unlabelledVoxels, statistic: params.parcellation.statistic };
  } else {
    responseField = 'inputs.regionValues';
    if (!params.valueColumn) throw new InvalidParameter('inputs.regionValues needs params.valueColumn (the column holding the values)', 'params.valueColumn');
    const t = await readText(inputs.regionValues!, baseUri, 'inputs.regionValues');
    response = parseRegionValues(t.text, 'inputs.regionValues', params.regionColumn, params.valueColumn);
  }
  const expr = parseExpression((await readText(inputs.expression, baseUri, 'inputs.expression')).text, 'inputs.expression');
  const pls = assemblePlsInputs(expr, response, params.regions, { response: responseField, expression: 'inputs.expression' });
  zscore(pls.y, responseField); // constant response → InvalidPlsInput before any fan-out

  // centroids and spins
  const wantSpins = params.nulls.spins > 0;
  let cents: Map<string, Centroid> | undefined;
  if (inputs.centroids) cents = parseCentroids((await readText(inputs.centroids, baseUri, 'inputs.centroids')).text, 'inputs.centroids', params.centroidColumns);
  else if (wantSpins) throw new InvalidParameter('spin nulls (params.nulls.spins > 0) need inputs.centroids; set spins to 0 to skip them', 'inputs.centroids');
  const spinGeo = wantSpins && cents ? centroidsFor(pls.regions, cents, 'inputs.centroids') : undefined;

  // map–map correlations
  const correlations: CorrelationInput[] = [];
  const names = new Set<string>();
  for (const [i, c] of (inputs.correlate ?? []).entries()) {
    const field = `inputs.correlate[${i}]`;
    if (names.has(c.name)) throw new InvalidParameter(`${field}: name ${c.name} is used twice`, field);
    names.add(c.name);
    let other: Map<string, number>;
    let source: string;
    if ('map' in c) {
      other = (await parcellateMap(job, baseUri, c.map, `${field}.map`)).values;
      source = c.map;
    } else {
      other = parseRegionValues((await readText(c.regionValues, baseUri, `${field}.regionValues`)).text, `${field}.regionValues`, params.regionColumn, c.valueColumn);
      source = c.regionValues;
    }
    const regions = [...response.keys()].filter((r) => selects(params.regions, r) && Number.isFinite(response.get(r)!) && Number.isFinite(other.get(r) ?? Number.NaN));
    if (regions.length < 3) throw new UnknownRegions(`${field}: only ${regions.length} selected region(s) have finite values in both the response and ${source} (at least 3 are needed)`, field);
    const geo = wantSpins && cents ? centroidsFor(regions, cents, 'inputs.centroids') : undefined;
    correlations.push({ name: c.name, source, regions, x: regions.map((r) => other.get(r)!), y: regions.map((r) => response.get(r)!), ...(geo ?? {}) });
  }

  const n = pls.regions.length;
  const nPerm = params.nulls.permutations;
  const exhaustive = nPerm > 0 && nPerm >= factorial(n);
  // the expression matrix enters the spec hash by its digest (the common helper hashes JSON)
  const xDigest = createHash('sha256').update(new Uint8Array(pls.X.buffer, pls.X.byteOffset, pls.X.byteLength)).digest('hex');
  // every input file the job names is fingerprinted as well (gene sets, PPI, counts are read again by Reduce)
  const inputRefs = [inputs.expression, inputs.map, inputs.atlas, inputs.atlasLabels, inputs.regionValues, inputs.centroids, ...geneSetRefs, inputs.ppi, inputs.counts, inputs.samples]
    .filter((r): r is string => typeof r === 'string')
    .map((r) => resolveRef(r, baseUri));
  const { specHash, workDir, resultsDir } = await jobLocation(env, job.jobId, { job, inputUris: inputRefs, regions: pls.regions, genes: pls.genes, y: Array.from(pls.y), cents: spinGeo, correlations, X: xDigest });
  const ctx: TxContext = {
    jobId: job.jobId,
    specHash,
    jobUri,
    job,
    workDir,
    resultsDir,
    n,
    p: pls.genes.length,
    regions: pls.regions,
    genes: pls.genes,
    y: Array.from(pls.y),
    dropped: pls.dropped,
    genesDropped: pls.genesDropped,
    ...(parcellation ? { parcellation } : {}),
    ...(spinGeo ?? {}),
    correlations,
    exhaustive,
    nPermutations: exhaustive ? factorial(n) : nPerm,
    unavailable: [],
    omics: {
      geneSets: geneSetRefs.map((r) => resolveRef(r, baseUri)),
      ...(inputs.ppi ? { ppi: resolveRef(inputs.ppi, baseUri) } : {}),
      ...(inputs.counts && inputs.samples ? { counts: resolveRef(inputs.counts, baseUri), samples: resolveRef(inputs.samples, baseUri) } : {}),
    },
  };
  await env.store.put(keys.X(workDir), new Uint8Array(pls.X.buffer, pls.X.byteOffset, pls.X.byteLength));
  await env.store.put(keys.context(workDir), JSON.stringify(ctx));
  return ctx;
}
