/** Named errors of the enrichment, PPI and gene-list modules. */
import { NeuroburstError } from '../errors.ts';

/** A GMT gene-set library is malformed; the message names the line. */
export class InvalidGeneSets extends NeuroburstError {
  constructor(message: string, input = '') {
    super('InvalidGeneSets', message, input);
  }
}

/** A PPI edge list is malformed; the message names the line. */
export class InvalidEdgeList extends NeuroburstError {
  constructor(message: string, input = '') {
    super('InvalidEdgeList', message, input);
  }
}

/** A gene list or background is empty or inconsistent. */
export class InvalidGeneList extends NeuroburstError {
  constructor(message: string, input = '') {
    super('InvalidGeneList', message, input);
  }
}
