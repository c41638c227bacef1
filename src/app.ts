import Fastify, { type FastifyInstance } from 'fastify';
import type { JWK } from 'jose';
import { requireAuthentication } from './auth/authenticate.js';
import type { TokenVerifier } from './auth/token-verifier.js';
import { CLOCK_TOLERANCE_SECONDS } from './auth/dev-authority.js';
import { EmulatorClock } from './emulator/emulator-clock.js';
import { EmulatorState, type EmulatorSeed } from './emulator/emulator-state.js';
import type { FaultOptions } from './emulator/faults.js';
import { ResetScripts } from './emulator/reset-scripts.js';
import { MAX_BATCH_REQUESTS } from './graph/batch.js';
import { registerErrorHandling, routingError } from './graph/error-envelope.js';
import { GraphError } from './graph/errors.js';
import type { ApiVersion } from './graph/odata-context.js';
import { newRequestId, registerGraphHeaders } from './graph/response-headers.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { registerMetrics } from './observability/metrics.js';
import { RequestLog } from './observability/request-log.js';
import { lazyRequestLogger } from './observability/request-logger.js';
import { AdjustableClock, systemClock, type Clock } from './operations/clock.js';
import { OperationService } from './operations/operation-service.js';
import { OperationOverview } from './operations/overview.js';
import { PasswordResets, type PasswordResetOptions } from './operations/password-reset.js';
import type { Store } from './operations/ports/store.js';
import { RetentionPurger, type RetentionOptions } from './operations/retention.js';
import { advanceEveryDue } from './operations/schedule.js';
import { StatisticsCache } from './operations/statistics-cache.js';
import { clientErrorHandler } from './protection/client-errors.js';
import { registerFaultInjection } from './protection/fault-injection.js';
import { registerOverloadProtection, type OverloadOptions } from './protection/overload.js';
import { registerThrottling, type ThrottlingOptions } from './protection/throttling.js';
import { adminRoutes } from './routes/admin/index.js';
import { batchRoutes } from './routes/batch.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { metadataRoutes } from './routes/metadata.js';
import { methodNotAllowed } from './routes/method-not-allowed.js';
import { operationalRoutes } from './routes/operational.js';
import { operationRoutes } from './routes/operations.js';
import { passwordResetRoutes } from './routes/password-reset.js';
import { signInRoutes } from './routes/sign-in/index.js';
import type { TokenIssuer } from './sign-in/ports.js';
import { redeemedCodes } from './sign-in/redeemed-codes.js';
import type { Registrations } from './sign-in/registrations.js';
import { SignInService } from './sign-in/sign-in-service.js';
import { isStoreUnavailable } from './store/unavailable.js';
import { UserResolver } from './users/user-resolver.js';

export interface AppOptions {
  readonly store: Store;
  readonly verifier: TokenVerifier;
  /** Published at `/.well-known/jwks.json` in dev mode, so other tools can verify the tokens this server mints. */
  readonly jwks?: () => { keys: JWK[] };
  readonly clock?: Clock;
  readonly limits?: Partial<Limits>;
  /** `false` for none, or a pino level. */
  readonly logLevel?: false | string;
  /** Where log lines go (default: stdout); tests read them from here. */
  readonly logStream?: { write(line: string): void };
  readonly trustProxy?: boolean;
  /** Purge finished operations this long after they finished (off when absent), checking every `intervalMs`. */
  readonly retention?: RetentionOptions & { readonly intervalMs: number };
  /** How often every instance writes the scheduled steps that came due while nobody read them (default 5 s). */
  readonly scheduleSweepMs?: number;
  /** How long `/admin/statistics` answers from one computation of its figures (default 5 s). */
  readonly adminStatisticsMaxAgeMs?: number;
  /** Per-user and per-app rate limits (off when absent). */
  readonly throttling?: ThrottlingOptions;
  /** Turn requests away with 503 when the event loop lags (off when absent). */
  readonly overload?: OverloadOptions;
  /** Serve HTTPS with this PEM key and certificate (clients such as microsoft-graph-client 3 send tokens only to https URLs). */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /**
   * How emulated password resets behave: their duration and how many fail, and why; `false`: resetPassword
   * answers `501 notSupported` and creates nothing (a real identity provider, whose accounts this service
   * cannot change).
   */
  readonly passwordReset?: PasswordResetOptions | false;
  /** Simulated throttling, latency and failures on API routes, for testing clients (off when absent). */
  readonly faults?: FaultOptions;
  /** Emulator: `/admin/clock` may move the service's clock forwards (off when absent). */
  readonly emulatorClock?: boolean;
  /**
   * Emulator: `/admin/reset`, `/admin/state` and `/admin/scripts` (off when absent); a reset returns to
   * `seed`, whose scripts, if any, are also the queue's at start.
   */
  readonly emulatorState?: { readonly seed?: EmulatorSeed };
  /**
   * Dev identity: Entra's discovery, keys, token and authorize endpoints at this origin, for these
   * registrations, tokens signed by `issuer` (docs/sign-in.md). Absent: none of them exist (404).
   */
  readonly signIn?: { readonly registrations: Registrations; readonly issuer: TokenIssuer };
}

export const API_VERSIONS: readonly ApiVersion[] = ['v1.0', 'beta'];

/** The whole service as a Fastify instance, from a config object; the process around it is `cli.ts`. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const server = {
    maxHeaderSize: limits.maxHeaderSize,
    headersTimeout: limits.headersTimeoutMs,
    // Node enforces the timeouts on this tick (30 s by default), which would stretch a short timeout.
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
  };
  const app = Fastify({
    ...(options.tls ? { https: { key: options.tls.key, cert: options.tls.cert, ...server } } : { http: server }),
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    clientErrorHandler,
    frameworkErrors: routingError,
    return503OnClosing: false, // answered below, in Graph's envelope
    logger:
      options.logLevel === false
        ? false
        : {
            level: options.logLevel ?? 'info',
            // Fastify's request serializer logs no headers; should one ever be logged, a token must not be.
            redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
            ...(options.logStream && { stream: options.logStream }),
          },
    logController: new RequestLog(),
    ...(options.logLevel !== false && { childLoggerFactory: lazyRequestLogger }),
    genReqId: newRequestId,
    requestIdHeader: false,
    bodyLimit: limits.bodyLimit,
    trustProxy: options.trustProxy ?? false,
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: false, maxParamLength: 512 },
  }) as unknown as FastifyInstance; // the https variant differs only in its raw server type

  // Graph takes JSON bodies only: any other media type is 415 (Fastify would otherwise hand text/plain through).
  app.removeContentTypeParser('text/plain');
  // Fastify's own JSON parser (prototype-poisoning checks included), except that an empty body is no body:
  // clients send `Content-Type: application/json` on every request, DELETE included. Where a route needs a
  // body, its own validation answers 400.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === '' ? done(null, undefined) : json(request, body as string, done),
  );

  // The pipeline, in the order a request meets it:
  registerGraphHeaders(app); // 1. request-id, client-request-id and Graph's other headers, on every answer
  registerErrorHandling(app, { isStoreUnavailable }); // 2. any failure → the catalogue → Graph's error envelope; unknown URLs → 404
  refuseWhileClosing(app); //     shutting down: new requests on open connections get 503, requests in flight finish
  for (const version of API_VERSIONS) await app.register(metadataRoutes, { prefix: `/${version}`, version }); // anonymous, as Graph's $metadata

  const metrics = registerMetrics(app, options.store); // 3. requests by route and status, latency; health routes
  await app.register(operationalRoutes, { ready: () => options.store.ping(), metrics });

  if (options.jwks) {
    const jwks = options.jwks;
    app.get('/.well-known/jwks.json', async () => jwks());
    methodNotAllowed(app, '/.well-known/jwks.json', ['GET']);
    if (options.signIn) {
      // Anonymous, as login.microsoftonline.com is, and in Entra's envelope, not Graph's.
      const { registrations, issuer } = options.signIn;
      const service = new SignInService(registrations, options.store.users, issuer, redeemedCodes(options.store.secrets, CLOCK_TOLERANCE_SECONDS));
      await app.register(signInRoutes, { service, jwks });
    }
  }

  const adjustableClock = options.emulatorClock ? new AdjustableClock(options.clock ?? systemClock()) : undefined;
  const clock = adjustableClock ?? options.clock ?? systemClock();
  const users = new UserResolver(options.store.users);
  const service = new OperationService(options.store.operations, clock, options.store.changes);
  // Requests waiting on a change answer now: shutdown must not wait out their `Prefer: wait`.
  app.addHook('preClose', async () => options.store.changes.releaseAll());
  // Emulator state: this process's queue of scripted password resets, which the resets take from.
  const scripts = options.emulatorState && new ResetScripts(options.store.users, options.emulatorState.seed?.scripts);
  const resets = options.passwordReset === false ? undefined : new PasswordResets(options.store.operations, clock, options.passwordReset, scripts);
  const catchUp = scheduleBackgroundWork(app, options, clock); // due scheduled steps, and the retention purge, on timers
  await app.register(async (api) => {
    await registerOverloadProtection(api, options.overload ?? { maxEventLoopDelayMs: 0 }); // 4. lagging: 503 now, not a timeout later
    requireAuthentication(api, options.verifier, users); // 5. Bearer token → principal (401 otherwise)
    await registerThrottling(api, options.throttling ?? {}); // 6. per user and per app: 429 with Retry-After
    registerFaultInjection(api, options.faults); //             emulator: simulated 429 / latency / 500 / 503, before any handler
    for (const version of API_VERSIONS) {
      // 7. routes: permission (403), user (404), then the domain
      await api.register(operationRoutes, { prefix: `/${version}`, version, service, users, limits, maxWaitSeconds: limits.maxWaitSeconds });
      await api.register(passwordResetRoutes, { prefix: `/${version}`, version, users, resets });
      await api.register(batchRoutes, { prefix: `/${version}`, version, bodyLimit: limits.bodyLimit * MAX_BATCH_REQUESTS });
    }
  });
  // 8. the service's own administration (admin permission), outside Graph's URL space
  const overview = new OperationOverview(options.store, clock);
  const statistics = new StatisticsCache((bucketSeconds, buckets) => overview.statistics(bucketSeconds, buckets), {
    maxAgeMs: options.adminStatisticsMaxAgeMs,
  });
  const admin = {
    prefix: '/admin',
    verifier: options.verifier,
    users,
    overview,
    statistics,
    // A test that jumps the clock sees the due steps and the purge at once; the figures of the old time go
    // once the due steps are written, so the next poll counts at the new time.
    clock:
      adjustableClock &&
      new EmulatorClock(adjustableClock, options.store, async () => {
        await catchUp();
        statistics.invalidate();
        await options.store.changes.signalAll(); // a waiting request's next step may have come due
      }),
    // A reset or an import replaces the data: the figures go with it, and the users this process wrote may be gone.
    state:
      options.emulatorState &&
      new EmulatorState(options.store, {
        seed: options.emulatorState.seed,
        scripts,
        replaced: async () => {
          statistics.invalidate();
          await options.store.changes.signalAll(); // every waiting request's operation may be gone or changed
        },
        usersReplaced: () => users.forget(),
        registrations: options.signIn?.registrations,
      }),
    scripts,
  };
  EMULATORS.set(app, { clock: admin.clock, state: admin.state }); // for the package API, through these very services
  await app.register(adminRoutes, admin);
  await app.register(dashboardRoutes); //  its dashboard page: static files without data, so no token (the page fetches with one)
  return app;
}

/** The emulator's clock and state of an app (each absent when off): what its admin routes steer. */
export interface EmulatorServices {
  readonly clock?: EmulatorClock | undefined;
  readonly state?: EmulatorState | undefined;
}

const EMULATORS = new WeakMap<FastifyInstance, EmulatorServices>();

/** The services `/admin/clock`, `/admin/reset` and `/admin/state` of an app built by {@link buildApp} call. */
export function emulatorServices(app: FastifyInstance): EmulatorServices {
  return EMULATORS.get(app) ?? {};
}

function refuseWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Callback-style: these run on every request, and an async hook costs a promise and a microtask each time.
  app.addHook('onRequest', (_request, _reply, done) => {
    if (closing) done(new GraphError('serviceUnavailable', 'The service is shutting down; retry the request.', { 'Retry-After': '1' }));
    else done();
  });
  // Every answer from now on closes its connection, or a kept-alive one would hold the shutdown open.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('Connection', 'close');
    done(null, payload);
  });
}

/** How often the scheduled steps nobody read are written: the admin API's counts lag by up to this much. */
const DEFAULT_SCHEDULE_SWEEP_MS = 5_000;

/**
 * What every instance runs on timers while the app is up: the sweep of scheduled steps that came due
 * (bounded per run) and, with retention, the purge. Answers a function that runs them once more now, for
 * a clock that just moved, and resolves when that run is over.
 */
function scheduleBackgroundWork(app: FastifyInstance, options: AppOptions, clock: Clock): () => Promise<void> {
  const { store, retention } = options;
  const sweep = runEvery(app, options.scheduleSweepMs ?? DEFAULT_SCHEDULE_SWEEP_MS, 'scheduled-step sweep', () =>
    advanceEveryDue(store.admin, store.operations, clock.now()),
  );
  if (!retention) return sweep;
  const purger = new RetentionPurger(store, clock, retention);
  // A purge writes the due steps first, so run now it does the sweep's work too.
  return runEvery(app, retention.intervalMs, 'retention purge', async () => {
    const purged = await purger.runOnce();
    if (purged > 0) app.log.info({ purged }, 'purged finished operations past retention');
  });
}

/**
 * Runs `task` every `intervalMs` while the app is up, one run at a time: a tick that finds a run in
 * progress is skipped, and a failed run is logged (the next one retries). Answers a function that runs it
 * once more now, after any run in progress so that it sees the present, and resolves when that run is over.
 */
function runEvery(app: FastifyInstance, intervalMs: number, what: string, task: () => Promise<void>): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let pending = 0;
  const run = () => {
    pending += 1;
    running = running
      .then(task)
      .catch((error: unknown) => app.log.error({ err: error }, `${what} failed`))
      .finally(() => void (pending -= 1));
    return running;
  };
  app.addHook('onReady', async () => {
    timer = setInterval(() => {
      if (pending === 0) void run();
    }, intervalMs).unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await running; // the store closes after the app: let a run in progress finish first
  });
  return run;
}
