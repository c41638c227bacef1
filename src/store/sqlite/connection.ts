import Database from 'better-sqlite3';
import type { Database as Connection } from 'better-sqlite3';

/** The most memory SQLite's page cache of a connection takes (a negative `cache_size` is in KiB). */
const PAGE_CACHE_KIB = 64 * 1024;

/**
 * A connection with this service's pragmas, and nothing else: the store's own connection (which then
 * migrates) and the writer thread's (which must not, the store has migrated before starting it) both open
 * with it, so the two can never disagree on durability.
 */
export function openConnection(path: string, options: { readonly fileMustExist?: boolean } = {}): Connection {
  const db = new Database(path, options);
  // WAL lets readers run alongside the writer; an in-memory database has no journal file to switch.
  if (!db.memory) db.pragma('journal_mode = WAL');
  // Durability is never traded for speed: a write acknowledged to a client must survive a crash or power
  // loss, so every commit is synced. Set after journal_mode because this build defaults WAL connections to
  // NORMAL, which can lose the last commits on power loss.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // SQLite's default page cache is 2 MiB: past a few hundred thousand operations a PATCH's b-tree pages no
  // longer stay in it and each is read again from the OS (measured on 1,000,000 rows: 240 µs of CPU per
  // PATCH at 2 MiB, 163 µs at 64 MiB). The cache grows only as pages are read, so a small database costs
  // no more memory than before.
  db.pragma(`cache_size = ${-PAGE_CACHE_KIB}`);
  return db;
}
