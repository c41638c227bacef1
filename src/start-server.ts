import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { openDevAuthority, type DevAuthority } from './auth/dev-authority.js';
import { createRemoteVerifier } from './auth/remote-verifier.js';
import type { TokenVerifier } from './auth/token-verifier.js';
import { ConfigError } from './config.js';
import { readSeedFile } from './emulator/seed-file.js';
import { TICKS_PER_SECOND } from './operations/date-time-offset.js';
import type { Store } from './operations/ports/store.js';
import type { NamedUser } from './operations/ports/user-directory.js';
import type { ProviderConfig, ServeConfig, StoreConfig } from './serve-options.js';
import { openSqliteStore } from './store/sqlite/sqlite-store.js';
import { readAppsFile, Registrations, usersFilePasswords, type ApplicationEntry, type PasswordEntry } from './sign-in/registrations.js';
import { LocalCaError, openLocalCa, type LocalCa } from './tls/local-ca.js';
import { seedUsers } from './users/seed-users.js';

const DATABASE_FILE = 'graph-lro.db';
/** How often each instance looks for finished operations past retention. */
const RETENTION_CHECK_MS = 60_000;

export const DEV_IDENTITY_ON_NETWORK =
  '--dev-identity serves self-signed dev tokens on a network address: anyone who can read this server\'s logs or database can mint a valid token.';

/** A server listening: its app, its store and (under dev identity) the authority that signs its tokens. */
export interface StartedServer {
  readonly app: FastifyInstance;
  readonly store: Store;
  /** Under dev identity only: under a provider no key is made or read. */
  readonly authority?: DevAuthority;
  /** With `--https`: the local CA whose certificate it serves. */
  readonly localCa?: LocalCa;
  /** The URL `listen` answered: one a client on this machine can call, without a trailing slash. */
  readonly address: string;
  /** Where the data lives, e.g. `data in /srv/graph-lro`, for the start banner. */
  readonly where: string;
  /** Stops accepting, lets requests in flight finish, then closes the store. */
  close(): Promise<void>;
}

/**
 * Starts a server from a checked configuration: the provider's keys (or the dev key), the store opened and
 * seeded, the app built and listening. What `graph-lro serve` and `startGraphLro` both run; neither the
 * banner nor signals are this function's. A start that fails closes whatever it had opened.
 */
export async function startServer(config: ServeConfig, overrides: StartOverrides = {}): Promise<StartedServer> {
  // Checked before anything is written: a misconfigured provider leaves no store behind.
  const remoteVerifier = config.provider ? await productionVerifier(config.provider) : undefined;
  const seed = config.seedFile === undefined ? undefined : await readSeedFile(config.seedFile);
  const localCa = config.localCa ? await openLocalCaOrRefuse(config.localCa.folder) : undefined;
  const apps = config.appsFile === undefined ? [] : await readAppsFile(config.appsFile);
  const { store, where } = await openStore(config.store);
  let app: FastifyInstance | undefined;
  try {
    if (seed) await store.admin.replace(seed.operations, seed.users);
    const seeded = config.usersFile ? await seedUsers(store.users, config.usersFile) : [];
    const given = overrides.registrations;
    for (const user of given?.users ?? []) await store.users.upsert(user);
    // The dev signing key is neither made nor read under a provider: nobody can sign a token this server takes.
    const authority = config.identity.kind === 'dev' ? await openDevAuthority({ secrets: store.secrets }) : undefined;
    // Later sources win for the same app or user: the seed, then the files, then the package API's options.
    const registrations =
      authority &&
      (await Registrations.of(
        [...(seed?.applications ?? []), ...apps, ...(given?.applications ?? [])],
        [...(seed?.passwords ?? []), ...usersFilePasswords(seeded), ...(given?.passwords ?? [])],
      ));
    const verifier: TokenVerifier = authority?.verifier ?? remoteVerifier!;
    app = await buildApp({
      store,
      verifier,
      jwks: authority ? () => authority.jwks() : undefined,
      limits: config.limits,
      logLevel: overrides.logLevel ?? config.logLevel,
      trustProxy: config.trustProxy,
      tls: localCa ? { cert: localCa.server.certificate, key: localCa.server.key } : config.tls,
      retention: { retention: BigInt(config.retentionSeconds) * TICKS_PER_SECOND, intervalMs: RETENTION_CHECK_MS },
      throttling: config.throttling,
      overload: config.overload,
      passwordReset: config.passwordReset,
      faults: config.faults,
      emulatorClock: config.emulatorClock,
      emulatorState: config.emulatorState ? { seed } : undefined,
      signIn: authority && registrations ? { registrations, issuer: authority } : undefined,
    });
    const address = await app.listen({ port: config.port, host: config.host });
    if (config.identity.kind === 'dev' && config.identity.onNetwork) app.log.warn({ bound: app.addresses() }, DEV_IDENTITY_ON_NETWORK);
    if (config.identity.kind === 'provider' && config.features.length > 0) {
      app.log.warn({ emulatorFeatures: config.features }, 'emulator features are on under a real identity provider');
    }
    const started = app;
    return {
      app,
      store,
      authority,
      localCa,
      address,
      where,
      async close() {
        await started.close();
        await store.close();
      },
    };
  } catch (error) {
    await app?.close();
    await store.close();
    throw error;
  }
}

/** What a start in this process may add to the configuration: the package API's own. */
export interface StartOverrides {
  readonly logLevel?: string | false;
  /** `startGraphLro({ users, applications })`: users for the directory, their passwords, and applications. */
  readonly registrations?: {
    readonly users: readonly NamedUser[];
    readonly passwords: readonly PasswordEntry[];
    readonly applications: readonly ApplicationEntry[];
  };
}

/** A local CA that cannot be used ends the start as a bad flag does: one line naming the file (exit 2). */
async function openLocalCaOrRefuse(folder: string | undefined): Promise<LocalCa> {
  try {
    return await openLocalCa(folder);
  } catch (error) {
    throw error instanceof LocalCaError ? new ConfigError(error.message) : error;
  }
}

async function productionVerifier(provider: ProviderConfig): Promise<TokenVerifier> {
  try {
    return await createRemoteVerifier(provider);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** PostgreSQL when a database URL is given, else SQLite in the data folder (or in memory). */
export async function openStore(config: StoreConfig): Promise<{ store: Store; where: string }> {
  if (config.database !== undefined) {
    try {
      // Loaded only here: `pg` makes Node load its fetch implementation (undici) as it loads, about 13 MB of
      // memory that a service on the embedded store would carry for nothing.
      const { openPostgresStore } = await import('./store/postgres/postgres-store.js');
      const store = await openPostgresStore({ connectionString: config.database, schema: config.dbSchema, poolSize: config.dbPoolSize, applicationName: 'graph-lro' });
      return { store, where: `data in PostgreSQL${config.dbSchema ? `, schema ${config.dbSchema}` : ''}` };
    } catch (error) {
      throw new ConfigError(`Cannot open the PostgreSQL database: ${(error as Error).message}`);
    }
  }
  if (config.memory) return { store: openSqliteStore({ path: ':memory:' }), where: 'in memory' };
  const dataDir = prepareDataDir(config.data);
  return { store: openSqliteStore({ path: join(dataDir, DATABASE_FILE) }), where: `data in ${dataDir}` };
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
