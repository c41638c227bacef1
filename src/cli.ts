#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { openDevAuthority } from './auth/dev-authority.js';
import { ConfigError, helpText, listSetting, readSettings, SERVE_SETTINGS, TOKEN_SETTINGS } from './config.js';
import { checkTokenRequest, mintDevToken } from './dev-token.js';
import { InvalidInput } from './operations/domain-error.js';
import { parseServeOptions, type ProviderConfig } from './serve-options.js';
import { devBanner, startBanner } from './start-banner.js';
import { DEV_IDENTITY_ON_NETWORK, openStore, startServer } from './start-server.js';

const USAGE = `graph-lro — a Microsoft Graph-compatible longRunningOperation service

Usage:
  graph-lro serve [options]    Serve the API (the default command)
  graph-lro token [options]    Print a dev token (a bare JWT) signed with the key in --data
  graph-lro help               Show this help

serve options:
${helpText(SERVE_SETTINGS)}

token options:
${helpText(TOKEN_SETTINGS)}
`;

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h' || rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  if (command === 'serve') return serve(rest);
  if (command === 'token') return token(rest);
  throw new ConfigError(`Unknown command '${command}'. Run 'graph-lro help' for the commands.`);
}

async function serve(argv: string[]): Promise<void> {
  const config = parseServeOptions(readSettings(SERVE_SETTINGS, argv, process.env));
  const server = await startServer(config);
  closeOnSignals(config.shutdownTimeoutMs, () => server.close());
  const banner = { address: server.address, bound: server.app.addresses(), where: server.where, features: config.features, localCa: server.localCa };
  if (config.identity.kind === 'dev' && config.identity.onNetwork) process.stderr.write(`graph-lro: WARNING: ${DEV_IDENTITY_ON_NETWORK}\n`);
  const { authority, store } = server;
  process.stdout.write(authority ? await devBanner(banner, store, authority) : startBanner(banner, providerDescription(config.provider!)));
}

/** How the start banner names the identity provider: where its keys come from and what its tokens must carry. */
function providerDescription(provider: ProviderConfig): string {
  const keys = provider.jwksUrl ?? provider.discoveryUrl!;
  const issuer = provider.issuers.length > 0 ? provider.issuers.join(', ') : 'as discovered';
  return `tokens verified against ${keys} (issuer ${issuer}; audience ${provider.audiences.join(', ')}; UPN from '${provider.upnClaim}')`;
}

async function token(argv: string[]): Promise<void> {
  const settings = readSettings(TOKEN_SETTINGS, argv, process.env);
  const scopes = settings.scopes === undefined ? undefined : listSetting(settings.scopes);
  const request = checkTokenRequest({ ...settings, scopes, roles: listSetting(settings.roles) });
  refuseNewDataFolder(settings);
  const { store } = await openStore({ ...settings, dbPoolSize: Number(SERVE_SETTINGS.dbPoolSize.default), memory: false });
  try {
    const authority = await openDevAuthority({ secrets: store.secrets });
    process.stdout.write(`${await mintDevToken(authority, store.users, request)}\n`);
  } finally {
    await store.close();
  }
}

/**
 * A token is for a server: signed with the key in that server's data folder. A folder that does not exist
 * is nobody's, and a key made in it would sign tokens no running server accepts (a typo, usually).
 */
function refuseNewDataFolder(settings: { database?: string; data: string; createData: boolean }): void {
  if (settings.database !== undefined || settings.createData || existsSync(settings.data)) return;
  throw new ConfigError(
    `The data folder ${resolve(settings.data)} does not exist: point --data at the folder of the server the token is for, ` +
      'or pass --create-data to make a new one (with a new key: no running server accepts its tokens).',
  );
}

/**
 * SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the store, exit 0. Requests still
 * running at the deadline are cut off (exit 1): an orchestrator's kill would come anyway, and a write that
 * was not acknowledged may be retried by its client.
 */
function closeOnSignals(deadlineMs: number, close: () => Promise<void>): void {
  let closing = false;
  const onSignal = () => {
    if (closing) return;
    closing = true;
    setTimeout(() => {
      process.stderr.write(`graph-lro: requests still running after ${deadlineMs} ms; exiting.\n`);
      process.exit(1);
    }, deadlineMs).unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`graph-lro: error while shutting down: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // A bad flag, or a seed, users file or --simulate-* value the service cannot use: one line, exit 2.
  if (error instanceof ConfigError || error instanceof InvalidInput) {
    process.stderr.write(`graph-lro: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`graph-lro: ${(error as Error).message ?? String(error)}\n`);
  process.exit(1);
});
