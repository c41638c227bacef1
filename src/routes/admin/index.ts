import type { FastifyInstance } from 'fastify';
import { requireAuthentication } from '../../auth/authenticate.js';
import { authorizeAdmin } from '../../auth/permissions.js';
import type { TokenVerifier } from '../../auth/token-verifier.js';
import type { EmulatorClock } from '../../emulator/emulator-clock.js';
import type { EmulatorState } from '../../emulator/emulator-state.js';
import type { ResetScripts } from '../../emulator/reset-scripts.js';
import type { OperationOverview } from '../../operations/overview.js';
import type { StatisticsCache } from '../../operations/statistics-cache.js';
import type { UserResolver } from '../../users/user-resolver.js';
import { adminClockRoutes } from './clock.js';
import { adminOperationRoutes } from './operations.js';
import { adminScriptRoutes } from './scripts.js';
import { adminStateRoutes } from './state.js';
import { adminStatisticsRoutes } from './statistics.js';

export interface AdminRoutesOptions {
  readonly verifier: TokenVerifier;
  readonly users: UserResolver;
  /** Every owner's operations, newest first. */
  readonly overview: OperationOverview;
  /** The overview's figures, computed at most once per few seconds for any number of polls. */
  readonly statistics: StatisticsCache;
  /** Emulator: the clock `/admin/clock` moves forwards; without it there are no clock routes (404). */
  readonly clock?: EmulatorClock;
  /** Emulator: `/admin/reset` and `/admin/state`; without it, no such routes (404). */
  readonly state?: EmulatorState;
  /** Emulator: `/admin/scripts`, the queue of scripted password resets; without it, no such routes (404). */
  readonly scripts?: ResetScripts;
}

/**
 * `/admin/…`: the service's own administration, outside Graph's URL space. Every route here needs a
 * verified token with the admin permission (401 without a token, 403 without the permission).
 */
export async function adminRoutes(app: FastifyInstance, options: AdminRoutesOptions): Promise<void> {
  requireAuthentication(app, options.verifier, options.users);
  app.addHook('preHandler', async (request) => authorizeAdmin(request.principal));
  await app.register(adminOperationRoutes, { overview: options.overview });
  await app.register(adminStatisticsRoutes, { statistics: options.statistics });
  if (options.clock) await app.register(adminClockRoutes, { clock: options.clock });
  if (options.state) await app.register(adminStateRoutes, { state: options.state });
  if (options.scripts) await app.register(adminScriptRoutes, { scripts: options.scripts });
}
