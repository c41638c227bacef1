/**
 * `--https`: a local certificate authority and the server certificate it signs, kept in `<data>/tls` (or in
 * memory). The CA is made once and reused, so a client that trusts it keeps trusting this server; the server
 * certificate is re-issued at start whenever it is not one this CA would issue today.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { caProblem, issueServerCertificate, makeCa, serverCertificateProblem, type CertifiedKey } from './certificates.js';

/** Why `--https` cannot start; the CLI prints it as its one line (exit 2). */
export class LocalCaError extends Error {
  override readonly name = 'LocalCaError';
}

/** What `--https` serves and what a client needs to trust it. */
export interface LocalCa {
  /** The CA certificate, PEM: the one thing a client trusts. */
  readonly caCertificate: string;
  /** Where it is kept, `<data>/tls/ca.pem`; absent when it lives in memory. */
  readonly caFile?: string;
  /** Whether this start made the CA, which no client trusts yet. */
  readonly made: boolean;
  /** The server certificate (for localhost, 127.0.0.1 and ::1) and its key. */
  readonly server: CertifiedKey;
}

/** The folder of `--data` that holds them. */
export const TLS_FOLDER = 'tls';

/** Anyone on the machine may read what clients trust; the keys, and the certificate beside its key, are the owner's. */
const FILES = {
  caCertificate: { name: 'ca.pem', mode: 0o644 },
  caKey: { name: 'ca-key.pem', mode: 0o600 },
  certificate: { name: 'server.pem', mode: 0o600 },
  key: { name: 'server-key.pem', mode: 0o600 },
} as const;

type FileName = keyof typeof FILES;

/** The local CA kept in `folder` (made there at the first start), or a new one in memory when `folder` is absent. */
export async function openLocalCa(folder: string | undefined, now = new Date()): Promise<LocalCa> {
  if (folder === undefined) {
    const ca = await makeCa(now);
    return { caCertificate: ca.certificate, made: true, server: await issueServerCertificate(ca, now) };
  }
  const made = !holdsCa(folder) && (await createCaFolder(folder, now));
  const ca = readCa(folder, now);
  return { caCertificate: ca.certificate, caFile: join(folder, FILES.caCertificate.name), made, server: await keptServerCertificate(folder, ca, now) };
}

/** Whether `folder` is there with something in it: an empty one (made by hand, say) is renamed over. */
function holdsCa(folder: string): boolean {
  try {
    return readdirSync(folder).length > 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new LocalCaError(`Cannot use the folder ${folder}: ${(error as Error).message}`);
  }
}

/**
 * Makes the CA in a temporary folder beside `folder` and renames it into place, so a CA is never half
 * written, and of two first starts at once one CA wins and both use it. Answers whether this start's won.
 */
async function createCaFolder(folder: string, now: Date): Promise<boolean> {
  const ca = await makeCa(now);
  let staging: string | undefined;
  try {
    mkdirSync(dirname(folder), { recursive: true });
    staging = mkdtempSync(join(dirname(folder), `.${TLS_FOLDER}-`));
    writeNew(staging, 'caKey', ca.key);
    writeNew(staging, 'caCertificate', ca.certificate);
    chmodSync(staging, 0o755); // mkdtemp's 0700 would hide ca.pem from the other users of the machine
    renameSync(staging, folder);
    return true;
  } catch (error) {
    if (staging !== undefined) rmSync(staging, { recursive: true, force: true });
    if (isTaken(error) && holdsCa(folder)) return false;
    throw new LocalCaError(`Cannot make the local CA in ${folder}: ${(error as Error).message}`);
  }
}

function isTaken(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EEXIST' || code === 'ENOTEMPTY';
}

/** The CA in `folder`, both files present, readable and a pair, and good for signing a while yet. */
function readCa(folder: string, now: Date): CertifiedKey {
  const ca = { certificate: readKept(folder, 'caCertificate'), key: readKept(folder, 'caKey') };
  let problem: string | undefined;
  try {
    problem = caProblem(ca, now);
  } catch (error) {
    problem = `it cannot be read as a PEM certificate and key (${(error as Error).message})`;
  }
  if (problem !== undefined) {
    throw new LocalCaError(
      `The local CA in ${join(folder, FILES.caCertificate.name)} and ${FILES.caKey.name} cannot be used: ${problem}. ` +
        `Delete ${folder} to have a new CA made, and trust the new ${FILES.caCertificate.name} instead.`,
    );
  }
  return ca;
}

/** The kept server certificate when it may still be served, else a new one, written in place of the old. */
async function keptServerCertificate(folder: string, ca: CertifiedKey, now: Date): Promise<CertifiedKey> {
  const present = existsSync(join(folder, FILES.certificate.name)) && existsSync(join(folder, FILES.key.name));
  if (present) {
    const kept = { certificate: readKept(folder, 'certificate'), key: readKept(folder, 'key') };
    if (serverCertificateProblem(kept, ca, now) === undefined) return kept;
  }
  const issued = await issueServerCertificate(ca, now);
  replace(folder, 'key', issued.key);
  replace(folder, 'certificate', issued.certificate);
  return issued;
}

function readKept(folder: string, file: FileName): string {
  const path = join(folder, FILES[file].name);
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new LocalCaError(
      missing
        ? `${path} is missing: the local CA in ${folder} is incomplete. Delete ${folder} to have a new CA made, and trust the new ${FILES.caCertificate.name} instead.`
        : `Cannot read ${path}: ${(error as Error).message}`,
    );
  }
}

/** A file that must not exist yet, created with its mode: a key is never readable by others, not even for a moment. */
function writeNew(folder: string, file: FileName, text: string): void {
  writeFileSync(join(folder, FILES[file].name), text, { mode: FILES[file].mode, flag: 'wx' });
}

/** Writes beside the file, then renames over it: a reader sees the old file or the new one, never half of one. */
function replace(folder: string, file: FileName, text: string): void {
  const path = join(folder, FILES[file].name);
  // Named at random: two servers of one process may share a data folder.
  const staging = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(staging, text, { mode: FILES[file].mode, flag: 'wx' });
    renameSync(staging, path);
  } catch (error) {
    rmSync(staging, { force: true });
    throw new LocalCaError(`Cannot write ${path}: ${(error as Error).message}`);
  }
}
