import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { breakdown, breakdownTable, originOf, type CpuProfile } from '../../bench/profile.js';

const ROOT = join('/', 'srv', 'graph-lro');
const roots = { graphLro: join(ROOT, 'dist'), ceiling: join(ROOT, 'bench') };
const file = (path: string) => `file://${path}`;

describe('originOf', () => {
  it('names packages (scoped ones too), Node modules, the two servers and V8 itself', () => {
    assert.equal(originOf(file(`${ROOT}/node_modules/fastify/lib/reply.js`), 'send', roots), 'fastify');
    assert.equal(originOf(file(`${ROOT}/node_modules/@fastify/under-pressure/index.js`), 'onRequest', roots), '@fastify/under-pressure');
    assert.equal(originOf(file(`${ROOT}/node_modules/pg/node_modules/pg-types/index.js`), 'parse', roots), 'pg-types');
    assert.equal(originOf('node:internal/streams/writable', 'write', roots), 'node:internal');
    assert.equal(originOf('node:_http_server', 'resOnFinish', roots), 'node:_http_server');
    assert.equal(originOf(file(`${ROOT}/dist/routes/operations.js`), 'sendEntity', roots), 'graph-lro');
    assert.equal(originOf(file(`${ROOT}/bench/.build/ceiling-common.js`), 'send', roots), 'ceiling');
    assert.equal(originOf(file(`${ROOT}/distant/other.js`), 'f', roots), '(other)');
    assert.equal(originOf('', '(garbage collector)', roots), '(garbage collector)');
    assert.equal(originOf('', 'writev', roots), '(native code and system calls)');
  });
});

describe('breakdown', () => {
  // Four functions; samples name which was on the CPU, each after the interval in timeDeltas.
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '' } },
      { id: 2, callFrame: { functionName: '(idle)', url: '' } },
      { id: 3, callFrame: { functionName: 'handler', url: file(`${ROOT}/dist/app.js`) } },
      { id: 4, callFrame: { functionName: 'lookup', url: file(`${ROOT}/node_modules/find-my-way/index.js`) } },
      { id: 5, callFrame: { functionName: 'writev', url: '' } },
    ],
    samples: [3, 2, 4, 3, 5, 2, 3],
    timeDeltas: [100, 5_000, 50, 100, 200, 5_000, 100],
  };

  it('sums self time by origin per request, leaving idle time out', () => {
    const result = breakdown(profile, 'x.cpuprofile', 10, roots);
    assert.deepEqual(result.byOrigin, { 'graph-lro': 30, '(native code and system calls)': 20, 'find-my-way': 5 });
    assert.equal(result.totalUs, 55);
    assert.equal(result.requests, 10);
  });

  it('answers zeros, not infinities, when nothing was answered', () => {
    assert.equal(breakdown(profile, 'x.cpuprofile', 0, roots).totalUs, 0);
  });

  it('tables the costliest origins of either side, the rest, and totals that add up', () => {
    const graphLro = breakdown(profile, 'a', 10, roots);
    const ceiling = { file: 'b', requests: 20, totalUs: 12, byOrigin: { ceiling: 8, 'node:internal': 4 } };
    const table = breakdownTable(graphLro, ceiling, 2);
    assert.deepEqual(table.slice(2), [
      '| graph-lro | 30.0 µs | 0.0 µs |',
      '| (native code and system calls) | 20.0 µs | 0.0 µs |',
      '| everything else | 5.0 µs | 12.0 µs |',
      '| **all** (10 / 20 requests) | **55.0 µs** | **12.0 µs** |',
    ]);
  });
});
