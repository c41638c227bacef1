import type { FastifyInstance } from 'fastify';
import { requireAuthentication } from '../../auth/authenticate.js';
import { authorizeAdmin } from '../../auth/permissions.js';
import type { TokenVerifier } from '../../auth/token-verifier.js';
import type { UserResolver } from '../../users/user-resolver.js';
import type { Store } from '../../store/store.js';
import type { AdjustableClock, Clock } from '../../operations/clock.js';
import { OperationOverview } from '../../operations/overview.js';
import { StatisticsCache } from '../../operations/statistics-cache.js';
import type { AdminStore, StoreState } from '../../store/admin-store.js';
import { adminClockRoutes } from './clock.js';
import { adminOperationRoutes } from './operations.js';
import { adminStateRoutes } from './state.js';
import { adminStatisticsRoutes } from './statistics.js';

export interface AdminRoutesOptions {
  readonly store: Store;
  readonly verifier: TokenVerifier;
  readonly users: UserResolver;
  readonly clock: Clock;
  /** Emulator: the clock `/admin/clock` moves forwards; without it there are no clock routes (404). */
  readonly adjustableClock?: AdjustableClock;
  /** Runs after the clock moved (the due steps and the retention purge). */
  readonly clockMoved?: () => Promise<void>;
  /** Emulator: `/admin/reset` and `/admin/state`, with the seed a reset returns to; without it, no such routes (404). */
  readonly emulatorState?: { readonly seed?: StoreState };
  /** How long `/admin/statistics` answers from one computation (default 5 s). */
  readonly statisticsMaxAgeMs?: number;
}

/**
 * `/admin/…`: the service's own administration, outside Graph's URL space. Every route here needs a
 * verified token with the admin permission (401 without a token, 403 without the permission).
 */
export async function adminRoutes(app: FastifyInstance, options: AdminRoutesOptions): Promise<void> {
  requireAuthentication(app, options.verifier, options.users);
  app.addHook('preHandler', async (request) => authorizeAdmin(request.principal));
  const overview = new OperationOverview(options.store, options.clock);
  const statistics = new StatisticsCache((bucketSeconds, buckets) => overview.statistics(bucketSeconds, buckets), {
    maxAgeMs: options.statisticsMaxAgeMs,
  });
  await app.register(adminOperationRoutes, { overview });
  await app.register(adminStatisticsRoutes, { statistics });
  const { adjustableClock, emulatorState } = options;
  if (adjustableClock) {
    const { clockMoved } = options;
    // The figures of the old time go once the due steps are written, so the next poll counts at the new time.
    const moved = async () => {
      await clockMoved?.();
      statistics.invalidate();
    };
    await app.register(adminClockRoutes, { clock: adjustableClock, store: options.store, moved });
  }
  if (emulatorState) {
    const store = invalidatingOnReplace(options.store, statistics);
    await app.register(adminStateRoutes, { store, users: options.users, seed: emulatorState.seed });
  }
}

/** The store as the state routes see it: a reset or an import replaces the data, and the figures go with it. */
function invalidatingOnReplace(store: Store, statistics: StatisticsCache): Store {
  const replace: AdminStore['replace'] = async (operations, users) => {
    await store.admin.replace(operations, users); // all or nothing: a failed one changed nothing
    statistics.invalidate();
  };
  return { ...store, admin: { ...store.admin, replace } };
}
