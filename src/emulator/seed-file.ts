import { readFile } from 'node:fs/promises';
import { InvalidInput } from '../operations/domain-error.js';
import { parseState, StateError, type EmulatorSnapshot } from './state.js';

/** Reads and validates a `--seed` file (the state format of `GET /admin/state`); anything wrong is {@link InvalidInput}. */
export async function readSeedFile(file: string): Promise<EmulatorSnapshot> {
  let document: unknown;
  try {
    document = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new InvalidInput(`Cannot read the seed file ${file}: ${(error as Error).message}`);
  }
  try {
    return parseState(document);
  } catch (error) {
    if (error instanceof StateError) throw new InvalidInput(`The seed file ${file} is not valid: ${error.message}`);
    throw error;
  }
}
