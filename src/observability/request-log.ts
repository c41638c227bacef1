import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

const QUIETER_THAN_INFO: ReadonlySet<string> = new Set(['warn', 'error', 'fatal', 'silent']);

/**
 * One log line per request, written when it is answered — Fastify writes two (incoming and completed) —
 * with what an operator searches by: method, URL, status, time, and the request id (`reqId`) that the
 * client also got in `request-id`.
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // Above `info`, an answered request writes nothing: its line is not even put together.
    if (!error && QUIETER_THAN_INFO.has(reply.log.level)) return;
    const line = { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
