import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Fastify's `childLoggerFactory`: each request's logger, bound to its id as Fastify's own is, but made only
 * when the request first writes a line at an enabled level. pino serializes a child's bindings the moment
 * the child is made — about a microsecond, and a kilobyte of garbage, on every request — and at `warn`,
 * where a busy service runs, nearly no request ever writes a line.
 */
export function lazyRequestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  // A route with a log level or serializers of its own gets its child at once, as Fastify makes it.
  if (!isEmpty(options)) return logger.child(bindings, options);
  // Fastify's logger is the pino instance it made from the `logger` options.
  return new RequestLogger(logger as Logger, bindings);
}

function isEmpty(options: object): boolean {
  for (const _ in options) return false;
  return true;
}

class RequestLogger implements FastifyBaseLogger {
  #child: FastifyBaseLogger | undefined;
  readonly #parent: Logger;
  readonly #bindings: Bindings;

  constructor(parent: Logger, bindings: Bindings) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  get level(): string {
    return (this.#child ?? this.#parent).level;
  }

  set level(level: string) {
    this.#bound().level = level;
  }

  fatal(...args: unknown[]): void {
    this.#write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.#write('error', args);
  }

  warn(...args: unknown[]): void {
    this.#write('warn', args);
  }

  info(...args: unknown[]): void {
    this.#write('info', args);
  }

  debug(...args: unknown[]): void {
    this.#write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.#write('trace', args);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#bound().child(bindings, options);
  }

  #write(level: Level, args: unknown[]): void {
    // Once made, the child decides (its level may have been set); before, the parent's level does.
    if (this.#child === undefined && !this.#parent.isLevelEnabled(level)) return;
    (this.#bound()[level] as (...args: unknown[]) => void)(...args);
  }

  #bound(): FastifyBaseLogger {
    return (this.#child ??= this.#parent.child(this.#bindings));
  }
}
