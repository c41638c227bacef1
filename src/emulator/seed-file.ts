import { InvalidInput } from '../operations/domain-error.js';
import { readJsonFile } from '../operations/json-file.js';
import { parseState, StateError, type EmulatorSnapshot } from './state.js';

/** Reads and validates a `--seed` file (the state format of `GET /admin/state`); anything wrong is {@link InvalidInput}. */
export async function readSeedFile(file: string): Promise<EmulatorSnapshot> {
  const document = await readJsonFile(file, 'seed');
  try {
    return parseState(document);
  } catch (error) {
    if (error instanceof StateError) throw new InvalidInput(`The seed file ${file} is not valid: ${error.message}`);
    throw error;
  }
}
