import { readFile } from 'node:fs/promises';
import { InvalidInput } from './domain-error.js';

/**
 * The value of a JSON file given at start (`--seed`, `--users`, `--apps`): one that cannot be read or parsed
 * is {@link InvalidInput} naming it as the `what` file, as `serve` reports it. Checking the value is the caller's.
 */
export async function readJsonFile(file: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new InvalidInput(`Cannot read the ${what} file ${file}: ${(error as Error).message}`);
  }
}
