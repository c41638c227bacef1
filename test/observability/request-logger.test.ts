import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino, { type Logger } from 'pino';
import { lazyRequestLogger } from '../../src/observability/request-logger.js';

/** A pino logger at `level` whose lines land in `lines`, and how many children it has made. */
function parentLogger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  let children = 0;
  const child = logger.child;
  // Children inherit this property: `this` is whichever logger a child is asked of.
  logger.child = function (this: Logger, ...args: Parameters<Logger['child']>) {
    children++;
    return child.apply(this, args);
  } as Logger['child'];
  return { logger, lines, children: () => children };
}

describe('lazyRequestLogger', () => {
  it('makes no child for a request that writes nothing at an enabled level', () => {
    const parent = parentLogger('warn');
    const log = lazyRequestLogger(parent.logger, { reqId: 'r-1' }, {});
    log.info({ status: 200 }, 'request completed');
    log.debug('detail');
    assert.equal(log.level, 'warn');
    assert.equal(parent.children(), 0);
    assert.deepEqual(parent.lines, []);
  });

  it('writes an enabled line through a child bound to the request id, made once', () => {
    const parent = parentLogger('warn');
    const log = lazyRequestLogger(parent.logger, { reqId: 'r-2' }, {});
    log.warn({ code: 'x' }, 'first');
    log.error(new Error('boom'), 'second');
    assert.equal(parent.children(), 1);
    assert.deepEqual(
      parent.lines.map(({ reqId, msg, level, code }) => ({ reqId, msg, level, code })),
      [
        { reqId: 'r-2', msg: 'first', level: 40, code: 'x' },
        { reqId: 'r-2', msg: 'second', level: 50, code: undefined },
      ],
    );
    assert.equal((parent.lines[1]!.err as { message: string }).message, 'boom');
  });

  it('lets the request lower its own level without touching the parent', () => {
    const parent = parentLogger('warn');
    const log = lazyRequestLogger(parent.logger, { reqId: 'r-3' }, {});
    log.level = 'debug';
    log.debug('now visible');
    parent.logger.debug('still hidden');
    assert.equal(log.level, 'debug');
    assert.equal(parent.logger.level, 'warn');
    assert.deepEqual(parent.lines.map(({ reqId, msg }) => ({ reqId, msg })), [{ reqId: 'r-3', msg: 'now visible' }]);
  });

  it('gives a route with options of its own (a log level) its child at once', () => {
    const parent = parentLogger('warn');
    const log = lazyRequestLogger(parent.logger, { reqId: 'r-4' }, { level: 'info' });
    assert.equal(parent.children(), 1);
    log.info('route-level info');
    assert.deepEqual(parent.lines.map(({ reqId, msg }) => ({ reqId, msg })), [{ reqId: 'r-4', msg: 'route-level info' }]);
  });

  it('hands children of its own through to a real child', () => {
    const parent = parentLogger('info');
    const log = lazyRequestLogger(parent.logger, { reqId: 'r-5' }, {});
    log.child({ step: 'verify' }).info('nested');
    assert.deepEqual(parent.lines.map(({ reqId, step, msg }) => ({ reqId, step, msg })), [{ reqId: 'r-5', step: 'verify', msg: 'nested' }]);
  });
});
