import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chooseIdentityMode, IdentityModeRefused, type IdentityMode } from './auth/identity-mode.js';
import { ConfigError, integerSetting, listSetting, parseDuration, parseRateLimit, SERVE_SETTINGS, type Values } from './config.js';
import { parseFaultSettings } from './emulator/fault-flags.js';
import type { FaultOptions } from './emulator/faults.js';
import type { Limits } from './limits.js';
import { TICKS_PER_SECOND } from './operations/date-time-offset.js';
import { OPERATION_PROPERTIES } from './operations/long-running-operation.js';
import type { PasswordResetOptions } from './operations/password-reset.js';
import type { OverloadOptions } from './protection/overload.js';
import type { ThrottlingOptions } from './protection/throttling.js';
import { emulatorFeatures } from './start-banner.js';
import { TLS_FOLDER } from './tls/local-ca.js';

/** `serve`'s settings as `readSettings` (flags, environment) or `readOptions` (the package API) gives them. */
export type ServeSettings = Values<typeof SERVE_SETTINGS>;

/** Where the data lives: PostgreSQL when `database` is given, else SQLite in `data` (or in memory). */
export interface StoreConfig {
  readonly database?: string;
  readonly dbSchema?: string;
  /** PostgreSQL connections per instance (0 on SQLite). */
  readonly dbPoolSize: number;
  readonly data: string;
  readonly memory: boolean;
}

/** The identity provider whose tokens a server verifies; checked here, its keys fetched at start. */
export interface ProviderConfig {
  readonly issuers: string[];
  readonly audiences: string[];
  readonly jwksUrl?: string;
  readonly discoveryUrl?: string;
  readonly upnClaim: string;
}

/** A whole `serve` configuration, every value checked: what `startServer` runs. */
export interface ServeConfig {
  readonly port: number;
  readonly host: string;
  readonly store: StoreConfig;
  readonly identity: IdentityMode;
  /** Present exactly when `identity` is `provider`. */
  readonly provider?: ProviderConfig;
  /** A state file (`--seed`) and a users file (`--users`), read at start. */
  readonly seedFile?: string;
  readonly usersFile?: string;
  /** Dev identity: the applications that may sign in (`--apps`), read at start. */
  readonly appsFile?: string;
  readonly limits: Limits;
  readonly throttling: ThrottlingOptions;
  readonly overload: OverloadOptions;
  readonly shutdownTimeoutMs: number;
  readonly retentionSeconds: number;
  readonly logLevel: string;
  readonly trustProxy: boolean;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** `--https`: a certificate of the local CA kept in `folder` (`<data>/tls`), or in memory when it is absent. */
  readonly localCa?: { readonly folder?: string };
  readonly passwordReset: PasswordResetOptions | false;
  readonly faults?: FaultOptions;
  readonly emulatorClock: boolean;
  readonly emulatorState: boolean;
  /** Every emulator feature that is on, as the start banner names them. */
  readonly features: readonly string[];
}

/**
 * `serve`'s settings → a checked configuration, or a `ConfigError` (an `InvalidInput` for a `--simulate-*`
 * value) naming the first bad flag. The one parser of `graph-lro serve` and of `startGraphLro`. Nothing
 * is opened or fetched here: the files it reads are the TLS certificate and key.
 */
export function parseServeOptions(settings: ServeSettings): ServeConfig {
  const port = integerSetting(SERVE_SETTINGS.port, settings.port, 0, 65535);
  const limits: Limits = {
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
  const localCa = localCaSetting(settings, identity);
  const faults = parseFaultSettings(settings);
  // Under a real identity provider no account is ever reset here, so a simulated one must be asked for.
  const passwordReset = identity.kind === 'dev' || settings.simulatePasswordReset ? passwordResetSettings(settings) : refuseResetSettings(settings);
  return {
    port,
    host: settings.host,
    store: {
      database: settings.database,
      dbSchema: settings.dbSchema,
      // Read only for PostgreSQL, as ever: on SQLite the flag is ignored, whatever it says.
      dbPoolSize: settings.database === undefined ? 0 : integerSetting(SERVE_SETTINGS.dbPoolSize, settings.dbPoolSize, 1, 1000),
      data: settings.data,
      memory: settings.memory,
    },
    identity,
    provider: identity.kind === 'provider' ? providerSettings(settings) : undefined,
    seedFile: settings.seed,
    usersFile: settings.users,
    appsFile: appsSetting(settings, identity),
    limits,
    throttling,
    overload: { maxEventLoopDelayMs },
    shutdownTimeoutMs,
    retentionSeconds,
    logLevel: logLevelSetting(settings.logLevel),
    trustProxy: settings.trustProxy,
    tls: readTls(settings.tlsCert, settings.tlsKey),
    localCa,
    passwordReset,
    faults,
    emulatorClock: settings.emulatorClock,
    emulatorState: settings.emulatorState,
    features: emulatorFeatures(settings, identity, passwordReset, faults),
  };
}

/** The identity `serve` runs under, from the provider flags, `--dev-identity` and the address it listens on. */
function identityModeSetting(settings: ServeSettings): IdentityMode {
  try {
    return chooseIdentityMode({
      host: settings.host,
      provider: settings.jwksUrl !== undefined || settings.oidcDiscoveryUrl !== undefined,
      devIdentity: settings.devIdentity,
    });
  } catch (error) {
    throw error instanceof IdentityModeRefused ? new ConfigError(error.message) : error;
  }
}

function providerSettings(settings: ServeSettings): ProviderConfig {
  const audiences = listSetting(settings.audience);
  const issuers = listSetting(settings.issuer);
  if (audiences.length === 0) throw new ConfigError('Production mode needs --audience (GRAPH_LRO_AUDIENCE).');
  if (issuers.length === 0 && settings.oidcDiscoveryUrl === undefined) {
    throw new ConfigError('Production mode needs --issuer (GRAPH_LRO_ISSUER) unless --oidc-discovery-url provides it.');
  }
  return { issuers, audiences, jwksUrl: settings.jwksUrl, discoveryUrl: settings.oidcDiscoveryUrl, upnClaim: settings.upnClaim };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevelSetting(level: string): string {
  const { logLevel } = SERVE_SETTINGS;
  if (!LOG_LEVELS.includes(level)) throw new ConfigError(`--${logLevel.flag} (${logLevel.env}) must be one of ${LOG_LEVELS.join(', ')}, not '${level}'.`);
  return level;
}

function durationSetting(setting: (typeof SERVE_SETTINGS)[keyof typeof SERVE_SETTINGS], text: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined || seconds < 1) {
    throw new ConfigError(`--${setting.flag} (${setting.env}) must be a duration such as 30s, 10m or 24h, not '${text}'.`);
  }
  return seconds;
}

/**
 * Under an identity provider without `--simulate-password-reset`, no reset is simulated: a `--reset-*` flag
 * set to anything but its default would change nothing, which an operator who set it would not expect.
 */
function refuseResetSettings(settings: ServeSettings): false {
  for (const name of ['resetDuration', 'resetFailureRate', 'resetFailureReason'] as const) {
    const { flag, env, default: unset } = SERVE_SETTINGS[name];
    if (settings[name] !== unset) {
      throw new ConfigError(
        `--${flag} (${env}) shapes simulated password resets, which an identity provider's server runs only with --simulate-password-reset: add it, or drop --${flag}.`,
      );
    }
  }
  return false;
}

/** `--reset-duration` (0s allowed: finished at the first poll), `--reset-failure-rate`, `--reset-failure-reason`. */
function passwordResetSettings(settings: ServeSettings): PasswordResetOptions {
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

/**
 * `--https` is the emulator's: a CA made on this machine vouches for loopback names only, which no client of
 * a real deployment dials. Such a deployment brings its own certificate, and one set of TLS files is served.
 */
function localCaSetting(settings: ServeSettings, identity: IdentityMode): ServeConfig['localCa'] {
  if (!settings.https) return undefined;
  if (settings.tlsCert !== undefined || settings.tlsKey !== undefined) {
    throw new ConfigError('--https makes its own certificate and --tls-cert/--tls-key bring one: choose one.');
  }
  if (identity.kind === 'provider') {
    throw new ConfigError(
      '--https (GRAPH_LRO_HTTPS) is for dev identity only; under an identity provider (--jwks-url, --oidc-discovery-url) serve your own certificate with --tls-cert and --tls-key.',
    );
  }
  // Kept as a file even on PostgreSQL: clients trust a file (NODE_EXTRA_CA_CERTS), on the machine that runs them.
  return { folder: settings.memory ? undefined : resolve(settings.data, TLS_FOLDER) };
}

/** Applications sign in at the dev identity's own endpoints, which a server under an identity provider does not serve. */
function appsSetting(settings: ServeSettings, identity: IdentityMode): string | undefined {
  if (settings.apps !== undefined && identity.kind === 'provider') {
    throw new ConfigError('--apps (GRAPH_LRO_APPS) registers applications with the dev identity; under an identity provider, register them there.');
  }
  return settings.apps;
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
