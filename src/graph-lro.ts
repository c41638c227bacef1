import { emulatorServices, type EmulatorServices } from './app.js';
import { ConfigError, readOptions, SERVE_SETTINGS } from './config.js';
import { checkTokenRequest, mintDevToken } from './dev-token.js';
import { LATEST_CLOCK_TIME } from './emulator/emulator-clock.js';
import { parseIsoDuration } from './emulator/iso-duration.js';
import { resetScriptJson } from './emulator/reset-script.js';
import { formatDateTimeOffset } from './operations/date-time-offset.js';
import { parseServeOptions } from './serve-options.js';
import { readApplications, RegistrationError, usersFilePasswords } from './sign-in/registrations.js';
import { startServer, type StartedServer, type StartOverrides } from './start-server.js';
import { readSeedUsers } from './users/seed-users.js';

/** Options `startGraphLro` refuses, and why: they mean something only to the `graph-lro serve` process. */
const IN_PROCESS_REFUSALS = {
  shutdownTimeout: 'it bounds how long graph-lro serve waits on SIGTERM; close() waits for the requests in flight',
} as const;

type OptionName = Exclude<keyof typeof SERVE_SETTINGS, keyof typeof IN_PROCESS_REFUSALS>;

/**
 * Every flag of `graph-lro serve` in camelCase (`--max-page-size`: `maxPageSize`), each with its meaning
 * and default from docs/configuration.md, except those listed in docs/testing.md#the-package-api (defaults
 * of its own: port 0, in memory, the emulator's clock and state on under dev identity; no logs; no
 * `shutdownTimeout`).
 */
export type GraphLroOptions = {
  readonly [K in Exclude<OptionName, 'users'>]?: (typeof SERVE_SETTINGS)[K]['type'] extends 'boolean' ? boolean : string | number;
} & {
  /** The users to seed: a users file (`--users`), or the users themselves; a `password` lets one sign in (docs/sign-in.md). */
  readonly users?: string | readonly GraphLroUser[];
  /** Applications that may sign in at the dev identity's endpoints, as an apps file (`--apps`) lists them (docs/sign-in.md). */
  readonly applications?: readonly GraphLroApplication[];
};

/** A user of a users file (docs/configuration.md); with a `password`, one who can sign in (docs/sign-in.md). */
export interface GraphLroUser {
  readonly id: string;
  readonly userPrincipalName: string;
  /** Default: the dev tenant, 00000000-0000-4000-8000-00000000d3e0. */
  readonly tenantId?: string;
  readonly password?: string;
  /** Instead of `password`: its hash, as an export writes it. */
  readonly passwordHash?: string;
}

/** An application that may sign in (docs/sign-in.md#registering-applications-and-users). */
export interface GraphLroApplication {
  readonly clientId: string;
  /** Absent (and no `clientSecretHash`): a public client, which signs users in but has no client credentials. */
  readonly clientSecret?: string;
  /** Instead of `clientSecret`: its hash, as an export writes it. */
  readonly clientSecretHash?: string;
  /** Default: the dev tenant. */
  readonly tenantId?: string;
  readonly displayName?: string;
  /** Application permissions its client-credentials tokens carry (`roles`). */
  readonly roles?: readonly string[];
  /** Delegated permissions users may grant it; default: every UserAuthenticationMethod scope. */
  readonly scopes?: readonly string[];
  /** Where the authorization endpoint may send its codes. */
  readonly redirectUris?: readonly string[];
}

/** Who a token of {@link GraphLro.token} is for: the flags of `graph-lro token` (docs/configuration.md). */
export interface GraphLroTokenRequest {
  /** userPrincipalName of the signed-in user: a delegated token (the user becomes known to the server). */
  readonly user?: string;
  /** Delegated scopes; default: all four UserAuthenticationMethod scopes. */
  readonly scopes?: readonly string[];
  /** Application roles; without `user`, an application (client-credentials) token. */
  readonly roles?: readonly string[];
  /** The tenant id (`tid`); default: the dev tenant, 00000000-0000-4000-8000-00000000d3e0. */
  readonly tenant?: string;
  /** Seconds until the token expires, 60 to a year; default 86400. */
  readonly lifetime?: number;
}

/** The state format of `GET /admin/state` (docs/testing.md#the-state-format); an export fills every field. */
export interface GraphLroState {
  readonly users: readonly {
    readonly tenantId: string;
    readonly id: string;
    readonly userPrincipalName: string | null;
    /** An export writes the hash of a user's password; an import takes it, or `password` (docs/sign-in.md). */
    readonly passwordHash?: string;
    readonly password?: string;
  }[];
  readonly operations: readonly {
    readonly tenantId: string;
    readonly userId: string;
    readonly id: string;
    readonly createdDateTime: string;
    readonly lastActionDateTime?: string;
    readonly status?: string;
    readonly statusDetail?: string | null;
    readonly resourceLocation?: string | null;
    readonly version?: number;
    readonly finishedAt?: string | null;
    readonly schedule?: {
      readonly runAt: string;
      readonly finishAt: string;
      readonly outcome: 'succeeded' | 'failed';
      readonly statusDetail?: string;
      readonly resourceLocation?: string | null;
    } | null;
  }[];
  /** The queue of scripted password resets, in the order resets take them; absent in older files: none. */
  readonly scripts?: readonly GraphLroScript[];
  /** The applications that may sign in (each with its `tenantId`); an export writes `clientSecretHash`. Absent: none. */
  readonly applications?: readonly GraphLroApplication[];
}

/** One step of a scripted password reset, as `POST /admin/scripts` takes it (docs/testing.md#scripted-password-resets). */
export interface GraphLroScriptStep {
  /** An ISO 8601 duration from the reset's request (`PT1S`), not before the step ahead of it. */
  readonly after: string;
  /** `running` (at most once, first) or the final `succeeded` / `failed` (exactly once, last). */
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly statusDetail?: string;
  /** The final step only. */
  readonly resourceLocation?: string | null;
}

/** A queued script, as `POST /admin/scripts` answers it. */
export interface GraphLroScript {
  readonly id: string;
  /** The object id or UPN whose next reset takes it; `null`: the next reset of anyone. */
  readonly user: string | null;
  readonly steps: readonly GraphLroScriptStep[];
}

/** The service's clock, as `/admin/clock` moves it (docs/testing.md#the-clock). */
export interface GraphLroClock {
  /** The service's time now, as a DateTimeOffset (`2030-01-01T00:05:00.1234567Z`) (docs/testing.md#the-clock). */
  now(): string;
  /** Moves it forwards by an ISO 8601 duration (`PT5M`, `P1DT2H`); answers the new time (docs/testing.md#the-clock). */
  advance(duration: string): Promise<string>;
}

/** A graph-lro server in this process (docs/testing.md#the-package-api). */
export interface GraphLro {
  /** Where it serves, the origin without a trailing slash: `http://127.0.0.1:53127` (docs/testing.md#the-package-api). */
  readonly url: string;
  /** With `https: true`: the certificate (PEM) of the local CA that signed the server's, for a client's `ca` (docs/testing.md#https-with-a-local-ca). */
  readonly caCertificate?: string;
  /** A dev token this server accepts, as `graph-lro token` mints (docs/testing.md#the-package-api). */
  token(request: GraphLroTokenRequest): Promise<string>;
  /** The emulator's clock: `now()` and `advance(duration)` (docs/testing.md#the-clock). */
  readonly clock: GraphLroClock;
  /** Queues the steps of the next password reset, of `user` only when given: `POST /admin/scripts` (docs/testing.md#scripted-password-resets). */
  script(steps: readonly GraphLroScriptStep[], options?: { readonly user?: string }): Promise<GraphLroScript>;
  /** Every operation deleted, users kept, the seed back: `POST /admin/reset` (docs/testing.md#the-state). */
  reset(): Promise<void>;
  /** Every operation and user, as `GET /admin/state` answers them (docs/testing.md#the-state). */
  exportState(): Promise<GraphLroState>;
  /** Every operation and user replaced, all or nothing, as `PUT /admin/state` (docs/testing.md#the-state). */
  importState(state: GraphLroState): Promise<void>;
  /** Stops it: the port closed, requests in flight finished, timers gone, the store closed (docs/testing.md#the-package-api). */
  close(): Promise<void>;
}

/**
 * Starts a graph-lro server in this process and answers once it listens (docs/testing.md#the-package-api).
 * A bad option throws the error `graph-lro serve` would print for its flag.
 */
export async function startGraphLro(options: GraphLroOptions = {}): Promise<GraphLro> {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  for (const [name, why] of Object.entries(IN_PROCESS_REFUSALS)) {
    if (name in given) throw new ConfigError(`Option '${name}' has no meaning in-process: ${why}.`);
  }
  // The package API's own defaults; every other one is serve's. The emulator's clock and state are on for
  // dev identity only: under an identity provider nothing of the emulator is on unless asked for, as with serve.
  const devIdentity = given.jwksUrl === undefined && given.oidcDiscoveryUrl === undefined;
  const defaults = { port: 0, memory: given.data === undefined, emulatorClock: devIdentity, emulatorState: devIdentity };
  const { users, applications, ...settings } = given;
  const fileOfUsers = typeof users === 'string' ? { users } : {};
  const config = parseServeOptions(readOptions(SERVE_SETTINGS, { ...defaults, ...settings, ...fileOfUsers }));
  const registrations = inProcessRegistrations(users, applications, devIdentity);
  const server = await startServer(config, { logLevel: given.logLevel === undefined ? false : config.logLevel, registrations });
  return graphLro(server, emulatorServices(server.app));
}

/** The `users` (when not a file) and `applications` options, checked as a users file and an apps file are. */
function inProcessRegistrations(users: unknown, applications: unknown, devIdentity: boolean): StartOverrides['registrations'] {
  if (applications !== undefined && !devIdentity) {
    throw new ConfigError("Option 'applications' registers applications with the dev identity; under an identity provider, register them there.");
  }
  try {
    const seeded = users === undefined || typeof users === 'string' ? [] : readSeedUsers(users, "option 'users'");
    return {
      users: seeded.map(({ user }) => user),
      passwords: usersFilePasswords(seeded),
      applications: applications === undefined ? [] : readApplications(applications, "option 'applications'"),
    };
  } catch (error) {
    throw error instanceof RegistrationError ? new ConfigError(error.message) : error;
  }
}

function graphLro(server: StartedServer, emulator: EmulatorServices): GraphLro {
  const { authority, store } = server;
  const clock = () => emulator.clock ?? refuse('The emulator clock is off (emulatorClock: false).');
  const state = () => emulator.state ?? refuse('The emulator state is off (emulatorState: false).');
  let closed: Promise<void> | undefined;
  return {
    url: server.address,
    caCertificate: server.localCa?.caCertificate,
    async token(request) {
      const checked = checkTokenRequest(request);
      if (!authority) {
        refuse('token() mints dev tokens, and this server verifies the tokens of an identity provider (jwksUrl, oidcDiscoveryUrl): mint them there.');
      }
      return mintDevToken(authority, store.users, checked);
    },
    clock: {
      now: () => formatDateTimeOffset(clock().now()),
      async advance(duration) {
        const ticks = typeof duration === 'string' ? parseIsoDuration(duration) : undefined;
        if (ticks === undefined) {
          throw new RangeError(`clock.advance takes a forward ISO 8601 duration of weeks, days, hours, minutes and seconds, such as PT5M or P1DT2H, not '${duration}'.`);
        }
        if (clock().now() + ticks > LATEST_CLOCK_TIME) throw new RangeError(`The clock cannot move past ${formatDateTimeOffset(LATEST_CLOCK_TIME)}.`);
        await clock().advanceBy(ticks);
        return formatDateTimeOffset(clock().now());
      },
    },
    async script(steps, scriptOptions = {}) {
      // Through the route's own service, as JSON on the wire: one validation, one message for each mistake.
      const body = JSON.parse(JSON.stringify({ user: scriptOptions.user ?? null, steps }));
      return resetScriptJson(state().scripts.add(body)) as GraphLroScript;
    },
    async reset() {
      await state().reset();
    },
    async exportState() {
      let text = '';
      for await (const chunk of state().exportState()) text += chunk;
      return JSON.parse(text) as GraphLroState;
    },
    // As JSON, exactly as `PUT /admin/state` would read it: a `Date` or an `undefined` reads as it would on the wire.
    async importState(document) {
      await state().importState(document === undefined ? undefined : JSON.parse(JSON.stringify(document)));
    },
    close: () => (closed ??= server.close()),
  };
}

function refuse(message: string): never {
  throw new Error(message);
}
