import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GraphLro } from '../../src/graph-lro.js';
import { startCommand, type RunningCommand } from './process.js';

const CLIENTS = fileURLToPath(new URL('../sign-in/clients/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TIMEOUT_MS = 60_000;

/** Who a client program signs in as: an app of the server's registrations, and a user for the flows that take a password. */
export interface ClientSettings {
  readonly tenant: string;
  readonly app: { readonly clientId: string; readonly clientSecret?: string };
  readonly user?: { readonly id?: string; readonly userPrincipalName: string; readonly password: string };
}

/**
 * Starts a client program of test/sign-in/clients/ in a process of its own, with only what a deployment
 * would set: graph-lro's CA as a file named by `NODE_EXTRA_CA_CERTS` (which Node.js reads at start only,
 * so a test process cannot trust it for itself), and where graph-lro and the app are.
 */
export function startClient(lro: GraphLro, caFolder: string, name: string, settings: ClientSettings): RunningCommand {
  const caFile = join(caFolder, 'graph-lro-ca.pem');
  writeFileSync(caFile, lro.caCertificate!);
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_EXTRA_CA_CERTS: caFile,
    GRAPH_LRO_ORIGIN: lro.url,
    GRAPH_LRO_TENANT: settings.tenant,
    GRAPH_LRO_CLIENT_ID: settings.app.clientId,
    GRAPH_LRO_CLIENT_SECRET: settings.app.clientSecret ?? '',
    GRAPH_LRO_USER_ID: settings.user?.id ?? '',
    GRAPH_LRO_USERNAME: settings.user?.userPrincipalName ?? '',
    GRAPH_LRO_PASSWORD: settings.user?.password ?? '',
  };
  return startCommand(process.execPath, ['--import', 'tsx', join(CLIENTS, `${name}.ts`)], { cwd: ROOT, env, timeoutMs: TIMEOUT_MS });
}

/** The JSON of a line a client printed. */
export const parsed = (line: string) => JSON.parse(line) as Record<string, unknown>;

/** What a client saw, from the JSON line it printed last, once it has ended well. */
export async function clientReport(client: RunningCommand, name: string): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await client.ended;
  assert.equal(code, 0, `${name} exited ${code}:\n${stderr}`);
  return parsed(stdout.trim().split('\n').at(-1)!);
}
