import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RawQuery } from '../../graph/query-options.js';
import { formatDateTimeOffset } from '../../operations/date-time-offset.js';
import type { StatisticsCache } from '../../operations/statistics-cache.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { wholeNumber } from './query.js';

const DEFAULT_BUCKET_SECONDS = 60;
const MAX_BUCKET_SECONDS = 7 * 24 * 3600;
const DEFAULT_BUCKETS = 30;
const MAX_BUCKETS = 1440;

/**
 * `GET /admin/statistics?bucket=<seconds>&buckets=<count>`: operations by status, and a timeline of the
 * operations created in each bucket by their stored status, by the service's clock. From the instance's
 * cache: figures a few seconds old at most, computed at the `now` they carry, so a poll costs the database
 * nothing most of the time. Scheduled operations count as the background sweep last wrote them.
 */
export async function adminStatisticsRoutes(app: FastifyInstance, options: { readonly statistics: StatisticsCache }): Promise<void> {
  app.get('/statistics', async (request: FastifyRequest<{ Querystring: RawQuery }>) => {
    const bucketSeconds = wholeNumber(request.query, 'bucket', 1, MAX_BUCKET_SECONDS, DEFAULT_BUCKET_SECONDS);
    const buckets = wholeNumber(request.query, 'buckets', 1, MAX_BUCKETS, DEFAULT_BUCKETS);
    const { now, byStatus, timeline } = await options.statistics.get(bucketSeconds, buckets);
    return {
      now: formatDateTimeOffset(now),
      byStatus,
      timeline: timeline.map(({ start, counts }) => ({ start: formatDateTimeOffset(start), ...counts })),
    };
  });
  methodNotAllowed(app, '/statistics', ['GET']);
}
