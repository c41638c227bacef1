import { parseArgs } from 'node:util';
import { FAULT_SETTINGS } from './emulator/fault-flags.js';
import { DEFAULT_LIMITS } from './limits.js';

/**
 * A flag, its environment variable, and what `--help` says of it. One table drives parsing and help, and
 * the package API's options: each key is its flag in camelCase (`--max-page-size`: `maxPageSize`).
 */
interface Setting {
  readonly flag: string;
  readonly env: string;
  readonly type: 'string' | 'boolean';
  readonly default?: string;
  readonly help: string;
}

export const SERVE_SETTINGS = {
  port: { flag: 'port', env: 'GRAPH_LRO_PORT', type: 'string', default: '5050', help: 'TCP port to listen on (0 picks a free one).' },
  host: { flag: 'host', env: 'GRAPH_LRO_HOST', type: 'string', default: '127.0.0.1', help: 'Interface to listen on (0.0.0.0 for all); a non-loopback address needs an identity provider or --dev-identity.' },
  data: { flag: 'data', env: 'GRAPH_LRO_DATA', type: 'string', default: './data', help: 'Folder for the SQLite database and the dev signing key.' },
  database: {
    flag: 'database',
    env: 'GRAPH_LRO_DATABASE_URL',
    type: 'string',
    help: 'PostgreSQL connection string (postgres://user@host:5432/db): run on PostgreSQL instead of the SQLite file in --data.',
  },
  dbSchema: { flag: 'db-schema', env: 'GRAPH_LRO_DB_SCHEMA', type: 'string', help: 'PostgreSQL schema to use (created if missing); default: the connection\'s search_path.' },
  dbPoolSize: { flag: 'db-pool-size', env: 'GRAPH_LRO_DB_POOL_SIZE', type: 'string', default: '10', help: 'PostgreSQL connections per instance.' },
  retention: { flag: 'retention', env: 'GRAPH_LRO_RETENTION', type: 'string', default: '24h', help: 'How long finished operations stay readable (90s, 45m, 24h, 7d); purged after.' },
  memory: { flag: 'memory', env: 'GRAPH_LRO_MEMORY', type: 'boolean', help: 'Keep everything in memory (a throwaway run; nothing is written).' },
  users: {
    flag: 'users',
    env: 'GRAPH_LRO_USERS',
    type: 'string',
    help: 'JSON file of users to seed: [{"id","userPrincipalName","tenantId"?,"password"?}]; a password lets the user sign in (dev identity).',
  },
  apps: {
    flag: 'apps',
    env: 'GRAPH_LRO_APPS',
    type: 'string',
    help: 'Dev identity: JSON file of applications that may sign in: [{"clientId","clientSecret"?,"tenantId"?,"displayName"?,"roles"?,"scopes"?,"redirectUris"?}].',
  },
  issuer: { flag: 'issuer', env: 'GRAPH_LRO_ISSUER', type: 'string', help: 'Production: accepted token issuer(s), comma-separated; {tenantid} matches the token\'s tid.' },
  audience: { flag: 'audience', env: 'GRAPH_LRO_AUDIENCE', type: 'string', help: 'Production: accepted token audience(s), comma-separated.' },
  jwksUrl: { flag: 'jwks-url', env: 'GRAPH_LRO_JWKS_URL', type: 'string', help: 'Production: the identity provider\'s JWKS URL.' },
  oidcDiscoveryUrl: { flag: 'oidc-discovery-url', env: 'GRAPH_LRO_OIDC_DISCOVERY_URL', type: 'string', help: 'Production: OIDC discovery URL (…/.well-known/openid-configuration), instead of --jwks-url.' },
  upnClaim: { flag: 'upn-claim', env: 'GRAPH_LRO_UPN_CLAIM', type: 'string', default: 'upn', help: 'Production: the verified claim that holds a user\'s userPrincipalName (never preferred_username unless you name it).' },
  devIdentity: {
    flag: 'dev-identity',
    env: 'GRAPH_LRO_DEV_IDENTITY',
    type: 'boolean',
    help: 'Serve self-signed dev tokens on a non-loopback --host (refused otherwise without an identity provider); prints a warning.',
  },
  bodyLimit: { flag: 'body-limit', env: 'GRAPH_LRO_BODY_LIMIT', type: 'string', default: String(DEFAULT_LIMITS.bodyLimit), help: 'Largest request body in bytes (413 above).' },
  pageSize: { flag: 'page-size', env: 'GRAPH_LRO_PAGE_SIZE', type: 'string', default: String(DEFAULT_LIMITS.defaultPageSize), help: 'Items per page when $top is absent.' },
  maxPageSize: { flag: 'max-page-size', env: 'GRAPH_LRO_MAX_PAGE_SIZE', type: 'string', default: String(DEFAULT_LIMITS.maxPageSize), help: 'Largest $top accepted (400 above).' },
  maxHeaderSize: { flag: 'max-header-size', env: 'GRAPH_LRO_MAX_HEADER_SIZE', type: 'string', default: String(DEFAULT_LIMITS.maxHeaderSize), help: 'Largest request line plus headers in bytes (431 above).' },
  requestTimeout: { flag: 'request-timeout', env: 'GRAPH_LRO_REQUEST_TIMEOUT', type: 'string', default: '30s', help: 'Time for a whole request to arrive (408 after).' },
  headersTimeout: { flag: 'headers-timeout', env: 'GRAPH_LRO_HEADERS_TIMEOUT', type: 'string', default: '10s', help: 'Time for the request line and headers to arrive (408 after).' },
  keepAliveTimeout: { flag: 'keep-alive-timeout', env: 'GRAPH_LRO_KEEP_ALIVE_TIMEOUT', type: 'string', default: '72s', help: 'Idle time before a keep-alive connection is closed.' },
  maxWait: { flag: 'max-wait', env: 'GRAPH_LRO_MAX_WAIT', type: 'string', default: '30s', help: 'Longest Prefer: wait honoured on GET of an operation (keep it below the load balancer\'s idle timeout).' },
  rateLimitUser: { flag: 'rate-limit-user', env: 'GRAPH_LRO_RATE_LIMIT_USER', type: 'string', help: 'Per-user rate limit per instance, e.g. 600/1m (429 above); off when unset.' },
  rateLimitApp: { flag: 'rate-limit-app', env: 'GRAPH_LRO_RATE_LIMIT_APP', type: 'string', help: 'Per-application rate limit per instance, e.g. 6000/1m (429 above); off when unset.' },
  maxEventLoopDelay: { flag: 'max-event-loop-delay', env: 'GRAPH_LRO_MAX_EVENT_LOOP_DELAY', type: 'string', default: '1000', help: 'Event-loop lag in ms above which API requests get 503 with Retry-After; 0 turns it off.' },
  shutdownTimeout: { flag: 'shutdown-timeout', env: 'GRAPH_LRO_SHUTDOWN_TIMEOUT', type: 'string', default: '10s', help: 'On SIGTERM, how long in-flight requests may take before the process exits anyway.' },
  logLevel: { flag: 'log-level', env: 'GRAPH_LRO_LOG_LEVEL', type: 'string', default: 'info', help: 'fatal, error, warn, info, debug, trace or silent.' },
  tlsCert: { flag: 'tls-cert', env: 'GRAPH_LRO_TLS_CERT', type: 'string', help: 'PEM certificate (chain) file: serve HTTPS. Needs --tls-key.' },
  tlsKey: { flag: 'tls-key', env: 'GRAPH_LRO_TLS_KEY', type: 'string', help: 'PEM private key file for --tls-cert.' },
  https: {
    flag: 'https',
    env: 'GRAPH_LRO_HTTPS',
    type: 'boolean',
    help: 'Dev identity: serve HTTPS with a certificate for localhost, 127.0.0.1 and ::1 from a local CA made at the first start (<data>/tls/ca.pem; in memory with --memory).',
  },
  trustProxy: { flag: 'trust-proxy', env: 'GRAPH_LRO_TRUST_PROXY', type: 'boolean', help: 'Trust X-Forwarded-* (behind a load balancer), for nextLink and Location URLs.' },
  simulatePasswordReset: {
    flag: 'simulate-password-reset',
    env: 'GRAPH_LRO_SIMULATE_PASSWORD_RESET',
    type: 'boolean',
    help: 'Emulator: serve simulated resetPassword operations under a real identity provider (always on under dev identity).',
  },
  resetDuration: { flag: 'reset-duration', env: 'GRAPH_LRO_RESET_DURATION', type: 'string', default: '5s', help: 'Password resets: time from the request to the finish (running from halfway); 0s finishes at the first poll.' },
  resetFailureRate: { flag: 'reset-failure-rate', env: 'GRAPH_LRO_RESET_FAILURE_RATE', type: 'string', default: '0', help: 'Password resets: the share that fail, from 0 to 1.' },
  resetFailureReason: { flag: 'reset-failure-reason', env: 'GRAPH_LRO_RESET_FAILURE_REASON', type: 'string', default: 'PasswordPolicyViolation', help: 'Password resets: the statusDetail of a failed reset.' },
  ...FAULT_SETTINGS,
  emulatorClock: { flag: 'emulator-clock', env: 'GRAPH_LRO_EMULATOR_CLOCK', type: 'boolean', help: 'Emulator: let the admin API move the service clock forwards (/admin/clock); per process.' },
  emulatorState: { flag: 'emulator-state', env: 'GRAPH_LRO_EMULATOR_STATE', type: 'boolean', help: 'Emulator: admin API reset, export and import of every operation and user (/admin/reset, /admin/state).' },
  seed: { flag: 'seed', env: 'GRAPH_LRO_SEED', type: 'string', help: 'Emulator: JSON state file (the format of GET /admin/state) that replaces every operation and user at start.' },
} as const satisfies Record<string, Setting>;

export const TOKEN_SETTINGS = {
  user: { flag: 'user', env: 'GRAPH_LRO_TOKEN_USER', type: 'string', help: 'userPrincipalName of the signed-in user (a delegated token).' },
  tenant: { flag: 'tenant', env: 'GRAPH_LRO_TENANT', type: 'string', help: 'Tenant id (tid); defaults to the dev tenant.' },
  scopes: { flag: 'scopes', env: 'GRAPH_LRO_TOKEN_SCOPES', type: 'string', help: 'Delegated scopes, space-separated; default: all four UserAuthenticationMethod scopes.' },
  roles: { flag: 'roles', env: 'GRAPH_LRO_TOKEN_ROLES', type: 'string', help: 'Application roles, space-separated; without --user this mints an app (client-credentials) token.' },
  database: SERVE_SETTINGS.database,
  dbSchema: SERVE_SETTINGS.dbSchema,
  createData: {
    flag: 'create-data',
    env: 'GRAPH_LRO_CREATE_DATA',
    type: 'boolean',
    help: 'Create --data when it does not exist (a new key: no running server accepts its tokens).',
  },
  lifetime: { flag: 'lifetime', env: 'GRAPH_LRO_TOKEN_LIFETIME', type: 'string', default: '86400', help: 'Seconds until the token expires.' },
  data: SERVE_SETTINGS.data,
} as const satisfies Record<string, Setting>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type Values<S extends Record<string, Setting>> = {
  [K in keyof S]: S[K]['type'] extends 'boolean' ? boolean : S[K] extends { default: string } ? string : string | undefined;
};

/** Flags win over environment variables, which win over defaults. Unknown flags are an error, not ignored. */
export function readSettings<S extends Record<string, Setting>>(settings: S, argv: string[], env: NodeJS.ProcessEnv): Values<S> {
  const options = Object.fromEntries(Object.values(settings).map((s) => [s.flag, { type: s.type }]));
  let parsed: Record<string, string | boolean | undefined>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as typeof parsed;
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const [key, setting] of Object.entries(settings)) {
    const fromEnv = env[setting.env];
    const raw = parsed[setting.flag] ?? (setting.type === 'boolean' ? parseBoolean(setting, fromEnv) : fromEnv);
    values[key] = raw ?? (setting.type === 'boolean' ? false : setting.default);
  }
  return values as Values<S>;
}

/**
 * The same values from an options object (the package API's), where each key is a setting's and each value is
 * what its flag would say: a boolean for a switch, a string or a number for the rest. Absent or `undefined`
 * means the default; environment variables are not read. An unknown key or a value of the wrong type is an
 * error naming the option; what the value says is for the caller's own parser to check, as for a flag's.
 */
export function readOptions<S extends Record<string, Setting>>(settings: S, options: Readonly<Record<string, unknown>>): Values<S> {
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(settings, key)) throw new ConfigError(`Unknown option '${key}': the options are the flags of graph-lro serve in camelCase.`);
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const [key, setting] of Object.entries(settings)) {
    const value = options[key];
    const named = `Option '${key}' (--${setting.flag})`;
    if (value === undefined) values[key] = setting.type === 'boolean' ? false : setting.default;
    else if (setting.type === 'boolean') {
      if (typeof value !== 'boolean') throw new ConfigError(`${named} must be true or false, not ${describe(value)}.`);
      values[key] = value;
    } else {
      if (typeof value !== 'string' && typeof value !== 'number') throw new ConfigError(`${named} must be a string or a number, not ${describe(value)}.`);
      values[key] = String(value);
    }
  }
  return values as Values<S>;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : typeof value === 'object' && value !== null ? (Array.isArray(value) ? 'an array' : 'an object') : String(value);
}

function parseBoolean(setting: Setting, text: string | undefined): boolean | undefined {
  if (text === undefined || text === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off)$/i.test(text)) return false;
  throw new ConfigError(`${setting.env} must be true or false, not '${text}'.`);
}

/** A whole number in a range, or a ConfigError naming the flag. */
export function integerSetting(setting: Setting, text: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) throw new ConfigError(`--${setting.flag} (${setting.env}) must be a whole number from ${min} to ${max}, not '${text}'.`);
  return n;
}

const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90s`, `45m`, `24h`, `7d` → seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,9})([smhd])$/.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2]!]! : undefined;
}

/** `600/1m`, `50/10s`: `max` requests per window; undefined when malformed or zero. */
export function parseRateLimit(text: string): { max: number; windowSeconds: number } | undefined {
  const [count = '', window = ''] = text.split('/');
  const max = /^\d{1,9}$/.test(count.trim()) ? Number(count) : 0;
  const windowSeconds = parseDuration(window) ?? 0;
  return max > 0 && windowSeconds > 0 ? { max, windowSeconds } : undefined;
}

export function listSetting(text: string | undefined): string[] {
  return (text ?? '').split(/[,\s]+/).filter(Boolean);
}

export function helpText(settings: Record<string, Setting>): string {
  return Object.values(settings)
    .map((s) => {
      const flag = `--${s.flag}${s.type === 'string' ? ' <value>' : ''}`;
      const dflt = s.default === undefined ? '' : ` (default: ${s.default})`;
      return `  ${flag.padEnd(34)} ${s.help}${dflt}\n  ${''.padEnd(34)} env: ${s.env}`;
    })
    .join('\n');
}
