import type { FastifyInstance } from 'fastify';
import { LATEST_CLOCK_TIME, type EmulatorClock } from '../../emulator/emulator-clock.js';
import { formatIsoDuration, parseIsoDuration } from '../../emulator/iso-duration.js';
import { GraphError } from '../../graph/errors.js';
import { formatDateTimeOffset, parseDateTimeOffset, type Ticks } from '../../operations/date-time-offset.js';
import { methodNotAllowed } from '../method-not-allowed.js';

/**
 * Emulator (`--emulator-clock`): `GET /admin/clock`, `POST /admin/clock` (`{"advanceBy": "PT5M"}` or
 * `{"now": "<DateTimeOffset>"}`, forwards only) and `DELETE /admin/clock` (back to system time, only
 * while no operation is stored, since every stored date may be past it).
 */
export async function adminClockRoutes(app: FastifyInstance, options: { readonly clock: EmulatorClock }): Promise<void> {
  const { clock } = options;
  const state = () => ({ now: formatDateTimeOffset(clock.now()), offset: formatIsoDuration(clock.offset) });

  app.get('/clock', async () => state());

  app.post('/clock', async (request) => {
    const move = readMove(request.body, clock.now());
    if ('by' in move) await clock.advanceBy(move.by);
    else await clock.advanceTo(move.to);
    return state();
  });

  app.delete('/clock', async () => {
    await clock.backToSystemTime();
    return state();
  });

  methodNotAllowed(app, '/clock', ['GET', 'POST', 'DELETE']);
}

/** Where the body asks the clock to go: `advanceBy` a duration, or to `now`; never into the past. */
function readMove(body: unknown, now: Ticks): { readonly by: Ticks } | { readonly to: Ticks } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GraphError('badRequest', 'The request body must be a JSON object: {"advanceBy": "PT5M"} or {"now": "<DateTimeOffset>"}.');
  }
  const names = Object.keys(body);
  const unknown = names.find((name) => name !== 'advanceBy' && name !== 'now');
  if (unknown !== undefined) throw new GraphError('invalidProperty', `The property '${unknown}' is not one of the clock's: advanceBy, now.`);
  if (names.length !== 1) throw new GraphError('badRequest', "Give exactly one of 'advanceBy' and 'now'.");
  const { advanceBy, now: to } = body as { advanceBy?: unknown; now?: unknown };
  if (advanceBy !== undefined) {
    const ticks = typeof advanceBy === 'string' ? parseIsoDuration(advanceBy) : undefined;
    if (ticks === undefined) {
      throw new GraphError('invalidValue', "'advanceBy' must be a forward ISO 8601 duration of days, hours, minutes and seconds, such as PT5M or P1DT2H.");
    }
    return { by: withinCalendar(now + ticks) - now };
  }
  const ticks = typeof to === 'string' ? parseDateTimeOffset(to) : undefined;
  if (ticks === undefined) throw new GraphError('invalidValue', "'now' must be a DateTimeOffset such as 2030-01-01T00:00:00Z.");
  if (ticks < now) {
    throw new GraphError('invalidValue', `'now' is in the past of the service's clock (${formatDateTimeOffset(now)}): the clock only moves forwards.`);
  }
  return { to: withinCalendar(ticks) };
}

function withinCalendar(ticks: Ticks): Ticks {
  if (ticks > LATEST_CLOCK_TIME) throw new GraphError('invalidValue', `The clock cannot move past ${formatDateTimeOffset(LATEST_CLOCK_TIME)}.`);
  return ticks;
}
