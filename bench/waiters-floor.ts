/**
 * The floor under graph-lro's memory per waiting request: plain `node:http` holding every request open,
 * answering none, doing nothing else. What one held connection and request cost Node itself, measured the
 * same way as graph-lro's waiters (RSS before and once all are held); graph-lro's figure above it is its own.
 *
 *   node bench/.build/waiters-floor.js --port 5062     (GET /held answers how many are held)
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
let held = 0;
const server = createServer((request, response) => {
  if (request.url === '/held') {
    response.end(String(held));
    return;
  }
  held += 1;
  request.on('close', () => (held -= 1));
});
server.keepAliveTimeout = 72_000;
server.requestTimeout = 0; // held for as long as the measurement needs, as graph-lro holds a waiting request
server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening on http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : values.port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
