/**
 * The writer thread's entry (started by writer-thread.ts): its own connection to the store's file, and the
 * store's GroupCommit on this thread's event loop, so the sync of each commit blocks this thread and not
 * the one that serves requests. The writes that arrive while one group syncs make up the next group, and
 * each group's answers go back in one message, posted only once it has committed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openConnection } from './connection.js';
import { eventLoopWrites, type StoreWrite, type WriteParameters } from './store-writes.js';
import { toWire, type Answer, type FromWriter, type ToWriter, type WriteRequest, type WriterData } from './writer-protocol.js';

const port = parentPort!;
// The store has created and migrated the file before starting this thread: never a second migration here.
const db = openConnection((workerData as WriterData).path, { fileMustExist: true });
const writes = eventLoopWrites(db);
let batch: Promise<Answer>[] = [];

port.on('message', (message: ToWriter) => {
  if (message.kind === 'close') return void close();
  batch.push(answer(message));
  // Scheduled after the group's own commit (which answer() scheduled on the turn's first write), so the
  // batch closes with the group; its answers wait for that commit either way.
  if (batch.length === 1) setImmediate(postAnswers);
});

function answer<W extends StoreWrite>({ seq, write, parameters }: WriteRequest & { readonly write: W; readonly parameters: WriteParameters[W] }): Promise<Answer> {
  return writes.run(write, parameters).then(
    (value): Answer => ({ seq, ok: true, value }),
    (error: unknown): Answer => ({ seq, ok: false, error: toWire(error) }),
  );
}

async function postAnswers(): Promise<void> {
  const answered = batch;
  batch = [];
  if (answered.length === 0) return;
  post({ kind: 'answers', answers: await Promise.all(answered), statistics: writes.statistics() });
}

/** Every write asked for before `close` is committed and answered before the connection closes. */
async function close(): Promise<void> {
  await writes.close();
  await postAnswers();
  db.close();
  post({ kind: 'closed' });
  // Nothing else keeps this thread alive: it exits.
  port.close();
}

function post(message: FromWriter): void {
  port.postMessage(message);
}
