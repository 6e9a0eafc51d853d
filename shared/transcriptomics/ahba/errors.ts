/** Named errors of the AHBA expression builder. */
import { NeuroburstError } from '../../errors.ts';

/** An AHBA donor file (or atlas info / coordinate table) is malformed; the message names file and row. */
export class InvalidAhbaData extends NeuroburstError {
  constructor(message: string, input = '') {
    super('InvalidAhbaData', message, input);
  }
}
