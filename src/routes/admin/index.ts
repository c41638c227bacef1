import type { FastifyInstance } from 'fastify';
import { requireAuthentication } from '../../auth/authenticate.js';
import { authorizeAdmin } from '../../auth/permissions.js';
import type { TokenVerifier } from '../../auth/token-verifier.js';
import type { UserResolver } from '../../users/user-resolver.js';
import type { Store } from '../../store/store.js';
import type { AdjustableClock, Clock } from '../../operations/clock.js';
import { OperationOverview } from '../../operations/overview.js';
import type { StoreState } from '../../store/admin-store.js';
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
  /** Runs after the clock moved (the retention purge). */
  readonly clockMoved?: () => Promise<void>;
  /** Emulator: `/admin/reset` and `/admin/state`, with the seed a reset returns to; without it, no such routes (404). */
  readonly emulatorState?: { readonly seed?: StoreState };
}

/**
 * `/admin/…`: the service's own administration, outside Graph's URL space. Every route here needs a
 * verified token with the admin permission (401 without a token, 403 without the permission).
 */
export async function adminRoutes(app: FastifyInstance, options: AdminRoutesOptions): Promise<void> {
  requireAuthentication(app, options.verifier, options.users);
  app.addHook('preHandler', async (request) => authorizeAdmin(request.principal));
  const overview = new OperationOverview(options.store, options.clock);
  await app.register(adminOperationRoutes, { overview });
  await app.register(adminStatisticsRoutes, { overview });
  const { adjustableClock, emulatorState } = options;
  if (adjustableClock) {
    const moved = options.clockMoved ?? (async () => undefined);
    await app.register(adminClockRoutes, { clock: adjustableClock, store: options.store, moved });
  }
  if (emulatorState) await app.register(adminStateRoutes, { store: options.store, users: options.users, seed: emulatorState.seed });
}
