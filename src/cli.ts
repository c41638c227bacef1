#!/usr/bin/env node
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildApp } from './app.js';
import { openDevAuthority } from './auth/dev-authority.js';
import { chooseIdentityMode, IdentityModeRefused, type IdentityMode } from './auth/identity-mode.js';
import { createRemoteVerifier } from './auth/remote-verifier.js';
import type { TokenVerifier } from './auth/token-verifier.js';
import {
  ConfigError,
  helpText,
  integerSetting,
  listSetting,
  parseDuration,
  parseRateLimit,
  readSettings,
  SERVE_SETTINGS,
  TOKEN_SETTINGS,
} from './config.js';
import { parseFaultSettings } from './emulator/fault-flags.js';
import { readSeedFile } from './emulator/seed-file.js';
import { TICKS_PER_SECOND } from './operations/date-time-offset.js';
import { InvalidInput } from './operations/domain-error.js';
import { OPERATION_PROPERTIES } from './operations/long-running-operation.js';
import type { PasswordResetOptions } from './operations/password-reset.js';
import type { Store } from './operations/ports/store.js';
import { devBanner, emulatorFeatures, startBanner } from './start-banner.js';
import { openSqliteStore } from './store/sqlite/sqlite-store.js';
import { DEV_TENANT_ID, ensureUser, seedUsers } from './users/seed-users.js';

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

const DATABASE_FILE = 'graph-lro.db';
/** How often each instance looks for finished operations past retention. */
const RETENTION_CHECK_MS = 60_000;

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
  const settings = readSettings(SERVE_SETTINGS, argv, process.env);
  const port = integerSetting(SERVE_SETTINGS.port, settings.port, 0, 65535);
  const limits = {
    bodyLimit: integerSetting(SERVE_SETTINGS.bodyLimit, settings.bodyLimit, 1024, 64 * 1024 * 1024),
    maxPageSize: integerSetting(SERVE_SETTINGS.maxPageSize, settings.maxPageSize, 1, 10_000),
    defaultPageSize: integerSetting(SERVE_SETTINGS.pageSize, settings.pageSize, 1, 10_000),
    maxHeaderSize: integerSetting(SERVE_SETTINGS.maxHeaderSize, settings.maxHeaderSize, 1024, 1024 * 1024),
    requestTimeoutMs: durationSetting(SERVE_SETTINGS.requestTimeout, settings.requestTimeout) * 1000,
    headersTimeoutMs: durationSetting(SERVE_SETTINGS.headersTimeout, settings.headersTimeout) * 1000,
    keepAliveTimeoutMs: durationSetting(SERVE_SETTINGS.keepAliveTimeout, settings.keepAliveTimeout) * 1000,
    maxWaitSeconds: durationSetting(SERVE_SETTINGS.maxWait, settings.maxWait),
  };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) throw new ConfigError('--headers-timeout cannot be above --request-timeout.');
  const throttling = {
    user: rateLimitSetting(SERVE_SETTINGS.rateLimitUser, settings.rateLimitUser),
    app: rateLimitSetting(SERVE_SETTINGS.rateLimitApp, settings.rateLimitApp),
  };
  const maxEventLoopDelayMs = integerSetting(SERVE_SETTINGS.maxEventLoopDelay, settings.maxEventLoopDelay, 0, 60_000);
  const shutdownTimeoutMs = durationSetting(SERVE_SETTINGS.shutdownTimeout, settings.shutdownTimeout) * 1000;
  if (limits.defaultPageSize > limits.maxPageSize) throw new ConfigError('--page-size cannot be above --max-page-size.');
  const retentionSeconds = durationSetting(SERVE_SETTINGS.retention, settings.retention);
  const identity = identityModeSetting(settings);
  const faults = parseFaultSettings(settings);
  // Under a real identity provider no account is ever reset here, so a simulated one must be asked for.
  const passwordReset = identity.kind === 'dev' || settings.simulatePasswordReset ? passwordResetSettings(settings) : false;
  const features = emulatorFeatures(settings, identity, passwordReset, faults);

  // Checked before anything is written: a misconfigured provider leaves no store behind.
  const remoteVerifier = identity.kind === 'provider' ? await productionVerifier(settings) : undefined;
  const seed = settings.seed === undefined ? undefined : await readSeedFile(settings.seed);
  const { store, where } = await openStore(settings, settings.memory);
  if (seed) await store.admin.replace(seed.operations, seed.users);
  if (settings.users) await seedUsers(store.users, settings.users);
  // The dev signing key is neither made nor read under a provider: nobody can sign a token this server takes.
  const authority = identity.kind === 'dev' ? await openDevAuthority({ secrets: store.secrets }) : undefined;
  const verifier: TokenVerifier = authority?.verifier ?? remoteVerifier!;
  const app = await buildApp({
    store,
    verifier,
    jwks: authority ? () => authority.jwks() : undefined,
    limits,
    logLevel: logLevelSetting(settings.logLevel),
    trustProxy: settings.trustProxy,
    tls: readTls(settings.tlsCert, settings.tlsKey),
    retention: { retention: BigInt(retentionSeconds) * TICKS_PER_SECOND, intervalMs: RETENTION_CHECK_MS },
    throttling,
    overload: { maxEventLoopDelayMs },
    passwordReset,
    faults,
    emulatorClock: settings.emulatorClock,
    emulatorState: settings.emulatorState ? { seed } : undefined,
  });
  closeOnSignals(shutdownTimeoutMs, async () => {
    await app.close();
    await store.close();
  });
  const address = await app.listen({ port, host: settings.host });
  const banner = { address, bound: app.addresses(), where, features };
  if (identity.kind === 'dev' && identity.onNetwork) {
    process.stderr.write(`graph-lro: WARNING: ${DEV_IDENTITY_ON_NETWORK}\n`);
    app.log.warn({ bound: banner.bound }, DEV_IDENTITY_ON_NETWORK);
  }
  if (identity.kind === 'provider' && features.length > 0) {
    app.log.warn({ emulatorFeatures: features }, 'emulator features are on under a real identity provider');
  }
  process.stdout.write(authority ? await devBanner(banner, store, authority) : startBanner(banner, providerDescription(settings)));
}

const DEV_IDENTITY_ON_NETWORK =
  '--dev-identity serves self-signed dev tokens on a network address: anyone who can read this server\'s logs or database can mint a valid token.';

/** The identity `serve` runs under, from the provider flags, `--dev-identity` and the address it listens on. */
function identityModeSetting(settings: { host: string; jwksUrl?: string; discoveryUrl?: string; devIdentity: boolean }): IdentityMode {
  try {
    return chooseIdentityMode({
      host: settings.host,
      provider: settings.jwksUrl !== undefined || settings.discoveryUrl !== undefined,
      devIdentity: settings.devIdentity,
    });
  } catch (error) {
    throw error instanceof IdentityModeRefused ? new ConfigError(error.message) : error;
  }
}

/** How the start banner names the identity provider: where its keys come from and what its tokens must carry. */
function providerDescription(settings: { jwksUrl?: string; discoveryUrl?: string; issuer?: string; audience?: string; upnClaim: string }): string {
  const keys = settings.jwksUrl ?? settings.discoveryUrl!;
  const issuers = listSetting(settings.issuer);
  const issuer = issuers.length > 0 ? issuers.join(', ') : 'as discovered';
  return `tokens verified against ${keys} (issuer ${issuer}; audience ${listSetting(settings.audience).join(', ')}; UPN from '${settings.upnClaim}')`;
}

async function productionVerifier(settings: ReturnType<typeof readSettings<typeof SERVE_SETTINGS>>): Promise<TokenVerifier> {
  const audiences = listSetting(settings.audience);
  const issuers = listSetting(settings.issuer);
  if (audiences.length === 0) throw new ConfigError('Production mode needs --audience (GRAPH_LRO_AUDIENCE).');
  if (issuers.length === 0 && settings.discoveryUrl === undefined) {
    throw new ConfigError('Production mode needs --issuer (GRAPH_LRO_ISSUER) unless --oidc-discovery-url provides it.');
  }
  try {
    return await createRemoteVerifier({ issuers, audiences, jwksUrl: settings.jwksUrl, discoveryUrl: settings.discoveryUrl, upnClaim: settings.upnClaim });
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

async function token(argv: string[]): Promise<void> {
  const settings = readSettings(TOKEN_SETTINGS, argv, process.env);
  const tenantId = (settings.tenant ?? DEV_TENANT_ID).toLowerCase();
  const roles = listSetting(settings.roles);
  const scopes = settings.scopes === undefined ? undefined : listSetting(settings.scopes);
  const lifetimeSeconds = integerSetting(TOKEN_SETTINGS.lifetime, settings.lifetime, 60, 365 * 24 * 3600);
  if (settings.user === undefined && roles.length === 0) {
    throw new ConfigError('Name a user (--user <upn>) for a delegated token, or --roles for an application token.');
  }
  if (scopes?.length === 0) throw new ConfigError('--scopes needs at least one scope.');
  refuseNewDataFolder(settings);
  const { store } = await openStore(settings, false);
  try {
    const authority = await openDevAuthority({ secrets: store.secrets });
    const user = settings.user === undefined ? undefined : await ensureUser(store.users, tenantId, settings.user);
    process.stdout.write(`${await authority.mint({ tenantId, user, scopes, roles, lifetimeSeconds })}\n`);
  } finally {
    await store.close();
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevelSetting(level: string): string {
  const { logLevel } = SERVE_SETTINGS;
  if (!LOG_LEVELS.includes(level)) throw new ConfigError(`--${logLevel.flag} (${logLevel.env}) must be one of ${LOG_LEVELS.join(', ')}, not '${level}'.`);
  return level;
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

function durationSetting(setting: (typeof SERVE_SETTINGS)[keyof typeof SERVE_SETTINGS], text: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined || seconds < 1) {
    throw new ConfigError(`--${setting.flag} (${setting.env}) must be a duration such as 30s, 10m or 24h, not '${text}'.`);
  }
  return seconds;
}

/** `--reset-duration` (0s allowed: finished at the first poll), `--reset-failure-rate`, `--reset-failure-reason`. */
function passwordResetSettings(settings: { resetDuration: string; resetFailureRate: string; resetFailureReason: string }): PasswordResetOptions {
  const { resetDuration, resetFailureRate, resetFailureReason } = SERVE_SETTINGS;
  const seconds = parseDuration(settings.resetDuration);
  if (seconds === undefined) {
    throw new ConfigError(`--${resetDuration.flag} (${resetDuration.env}) must be a duration such as 5s, 2m or 0s, not '${settings.resetDuration}'.`);
  }
  const rate = /^\d*\.?\d+$/.test(settings.resetFailureRate.trim()) ? Number(settings.resetFailureRate) : NaN;
  if (!(rate >= 0 && rate <= 1)) {
    throw new ConfigError(`--${resetFailureRate.flag} (${resetFailureRate.env}) must be a number from 0 to 1, not '${settings.resetFailureRate}'.`);
  }
  const reason = settings.resetFailureReason;
  if (reason.trim() === '' || reason.length > OPERATION_PROPERTIES.statusDetail.maxLength) {
    throw new ConfigError(`--${resetFailureReason.flag} (${resetFailureReason.env}) must be a non-empty text of at most ${OPERATION_PROPERTIES.statusDetail.maxLength} characters.`);
  }
  return { durationTicks: BigInt(seconds) * TICKS_PER_SECOND, failureRate: rate, failureReason: reason };
}

function rateLimitSetting(setting: (typeof SERVE_SETTINGS)[keyof typeof SERVE_SETTINGS], text: string | undefined) {
  if (text === undefined || text === '') return undefined;
  const limit = parseRateLimit(text);
  if (limit === undefined) throw new ConfigError(`--${setting.flag} (${setting.env}) must look like 600/1m (requests per duration), not '${text}'.`);
  return limit;
}

function readTls(certFile: string | undefined, keyFile: string | undefined) {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new ConfigError('--tls-cert and --tls-key go together.');
  try {
    return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
  } catch (error) {
    throw new ConfigError(`Cannot read the TLS files: ${(error as Error).message}`);
  }
}

function prepareDataDir(dir: string): string {
  const path = resolve(dir);
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    throw new ConfigError(`Cannot use the data folder ${path}: ${(error as Error).message}`);
  }
  return path;
}

interface StoreSettings {
  readonly database?: string;
  readonly dbSchema?: string;
  readonly dbPoolSize?: string;
  readonly data: string;
}

/** PostgreSQL when a database URL is given, else SQLite in the data folder (or in memory). */
async function openStore(settings: StoreSettings, memory: boolean): Promise<{ store: Store; where: string }> {
  if (settings.database !== undefined) {
    const poolSize = integerSetting(SERVE_SETTINGS.dbPoolSize, settings.dbPoolSize ?? SERVE_SETTINGS.dbPoolSize.default, 1, 1000);
    try {
      // Loaded only here: `pg` makes Node load its fetch implementation (undici) as it loads, about 13 MB of
      // memory that a service on the embedded store would carry for nothing.
      const { openPostgresStore } = await import('./store/postgres/postgres-store.js');
      const store = await openPostgresStore({ connectionString: settings.database, schema: settings.dbSchema, poolSize, applicationName: 'graph-lro' });
      return { store, where: `data in PostgreSQL${settings.dbSchema ? `, schema ${settings.dbSchema}` : ''}` };
    } catch (error) {
      throw new ConfigError(`Cannot open the PostgreSQL database: ${(error as Error).message}`);
    }
  }
  if (memory) return { store: openSqliteStore({ path: ':memory:' }), where: 'in memory' };
  const dataDir = prepareDataDir(settings.data);
  return { store: openSqliteStore({ path: join(dataDir, DATABASE_FILE) }), where: `data in ${dataDir}` };
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
