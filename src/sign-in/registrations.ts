import { InvalidInput } from '../operations/domain-error.js';
import { readJsonFile } from '../operations/json-file.js';
import { isGuid } from '../users/object-id.js';
import { DEV_TENANT_ID, type SeedUser } from '../users/seed-users.js';
import { hashSecret, isSecretHash } from './secret-hash.js';

/**
 * Who may sign in at the emulator's identity endpoints: registered applications, and the passwords of
 * users. Registration is the emulator's configuration, read at every start from `--apps`, `--users` and
 * `--seed` (or `startGraphLro`'s options) and carried by the state format; each process holds it in memory,
 * as it holds its queue of scripted resets, so nothing about it needs a migration or a table. Secrets and
 * passwords are held only as scrypt hashes (`secret-hash.ts`).
 */

/** The delegated scopes an app may be granted unless its registration names others: every one the API checks. */
export const ALL_DELEGATED_SCOPES: readonly string[] = [
  'UserAuthenticationMethod.Read',
  'UserAuthenticationMethod.Read.All',
  'UserAuthenticationMethod.ReadWrite',
  'UserAuthenticationMethod.ReadWrite.All',
];

export interface Application {
  readonly tenantId: string;
  /** A GUID, lowercase: the `appid` of its tokens. */
  readonly clientId: string;
  readonly displayName: string;
  /** `null`: a public client (desktop, mobile, single-page), which cannot use client credentials. */
  readonly secretHash: string | null;
  /** Application permissions, granted to its client-credentials tokens (`roles`). */
  readonly roles: readonly string[];
  /** Delegated permissions a user may grant it (`scp`); a scope outside them is refused. */
  readonly scopes: readonly string[];
  /** Where the authorization endpoint may send a code (loopback URLs match on any port, as Entra's do). */
  readonly redirectUris: readonly string[];
}

/** A secret as a file or a state gives it: the plain value, or a hash an export wrote. */
export type GivenSecret = { readonly plain: string } | { readonly hash: string };

/** An application as read, its secret not yet hashed. */
export type ApplicationEntry = Omit<Application, 'secretHash'> & { readonly secret: GivenSecret | null };

/** A user's password as read: which user, and the secret. */
export interface PasswordEntry {
  readonly tenantId: string;
  readonly userId: string;
  readonly secret: GivenSecret;
}

/** A registration that is not valid; `path` names the value (`apps.json[2].roles[0]`), `detail` what is wrong. */
export class RegistrationError extends Error {
  override readonly name = 'RegistrationError';

  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

const APPLICATION_FIELDS = ['clientId', 'clientSecret', 'clientSecretHash', 'tenantId', 'displayName', 'roles', 'scopes', 'redirectUris'];
/** Long enough for any real secret or password, short enough that hashing it costs nothing more. */
const MAX_SECRET_LENGTH = 256;
const MAX_NAME_LENGTH = 256;
const MAX_URI_LENGTH = 2048;
const MAX_LIST_LENGTH = 100;
/** Graph permission names: `UserAuthenticationMethod.ReadWrite.All`, `GraphLro.Admin`. */
const PERMISSION = /^[A-Za-z][\w.-]{0,127}$/;

/**
 * Validates one application of an apps file or of a state (`fields` holds only {@link APPLICATION_FIELDS});
 * `defaultTenantId` `null`: the tenant must be given, as everything in a state names its tenant.
 */
export function readApplication(fields: Record<string, unknown>, path: string, defaultTenantId: string | null = DEV_TENANT_ID): ApplicationEntry {
  const clientId = guid(fields.clientId, `${path}.clientId`);
  const tenantId = fields.tenantId === undefined && defaultTenantId !== null ? defaultTenantId : guid(fields.tenantId, `${path}.tenantId`);
  const displayName = fields.displayName ?? clientId;
  if (typeof displayName !== 'string' || displayName.trim() === '' || displayName.length > MAX_NAME_LENGTH) {
    throw new RegistrationError(`${path}.displayName`, `must be a non-empty text of at most ${MAX_NAME_LENGTH} characters.`);
  }
  return {
    tenantId,
    clientId,
    displayName,
    secret: readSecret(fields.clientSecret, fields.clientSecretHash, `${path}.clientSecret`, true),
    roles: permissions(fields.roles, `${path}.roles`, []),
    scopes: permissions(fields.scopes, `${path}.scopes`, ALL_DELEGATED_SCOPES),
    redirectUris: redirectUris(fields.redirectUris, `${path}.redirectUris`),
  };
}

/** A user's `password` or `passwordHash` (an export writes the hash); `undefined` when it has neither. */
export function readPassword(plain: unknown, hash: unknown, path: string): GivenSecret | undefined {
  return readSecret(plain, hash, path, false) ?? undefined;
}

function readSecret(plain: unknown, hash: unknown, path: string, isClient: boolean): GivenSecret | null {
  const hashPath = `${path}Hash`;
  if (plain !== undefined && hash !== undefined) throw new RegistrationError(path, `give either it or ${hashPath.split('.').pop()}, not both.`);
  if (hash !== undefined) {
    if (typeof hash !== 'string' || !isSecretHash(hash)) throw new RegistrationError(hashPath, 'must be a hash as an export writes it (scrypt$N$r$p$salt$hash).');
    return { hash };
  }
  if (plain === undefined) return null;
  if (typeof plain !== 'string' || plain === '' || plain.length > MAX_SECRET_LENGTH) {
    throw new RegistrationError(path, `must be a non-empty text of at most ${MAX_SECRET_LENGTH} characters${isClient ? ' (leave it out for a public client)' : ''}.`);
  }
  return { plain };
}

function permissions(value: unknown, path: string, fallback: readonly string[]): readonly string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.length > MAX_LIST_LENGTH) throw new RegistrationError(path, `must be an array of at most ${MAX_LIST_LENGTH} permission names.`);
  value.forEach((name, i) => {
    if (typeof name !== 'string' || !PERMISSION.test(name)) throw new RegistrationError(`${path}[${i}]`, 'must be a permission name such as UserAuthenticationMethod.ReadWrite.All.');
  });
  return [...new Set(value as string[])];
}

function redirectUris(value: unknown, path: string): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_LIST_LENGTH) throw new RegistrationError(path, `must be an array of at most ${MAX_LIST_LENGTH} URLs.`);
  value.forEach((uri, i) => {
    if (typeof uri !== 'string' || uri.length > MAX_URI_LENGTH || !isRedirectUri(uri)) {
      throw new RegistrationError(`${path}[${i}]`, 'must be an absolute https URL, or an http URL of localhost or a loopback address, without a fragment.');
    }
  });
  return value as string[];
}

/** What Entra accepts as a redirect URI: https anywhere, plain http only back to this machine. */
function isRedirectUri(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.hash !== '' || text.includes('#')) return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHostname(url.hostname));
}

export function isLoopbackHostname(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function guid(value: unknown, path: string): string {
  if (typeof value !== 'string' || !isGuid(value)) throw new RegistrationError(path, 'must be a GUID.');
  return value.toLowerCase();
}

/** The hash to keep for a given secret: the given hash, or a new one of the plain value. */
async function secretHashOf(secret: GivenSecret): Promise<string> {
  return 'hash' in secret ? secret.hash : hashSecret(secret.plain);
}

async function settleApplication({ secret, ...application }: ApplicationEntry): Promise<Application> {
  return { ...application, secretHash: secret === null ? null : await secretHashOf(secret) };
}

/** Reads an apps file (`--apps`): a JSON array of applications; anything wrong is {@link InvalidInput}. */
export async function readAppsFile(file: string): Promise<ApplicationEntry[]> {
  const parsed = await readJsonFile(file, 'apps');
  try {
    return readApplications(parsed, file);
  } catch (error) {
    if (error instanceof RegistrationError) throw new InvalidInput(`The apps file is not valid: ${error.message}`);
    throw error;
  }
}

/** A JSON array of applications (an apps file's, or `startGraphLro`'s `applications`); no client id twice. */
export function readApplications(value: unknown, path: string): ApplicationEntry[] {
  if (!Array.isArray(value)) throw new RegistrationError(path, 'must be a JSON array of applications.');
  const entries = value.map((entry, i) => readApplication(applicationFields(entry, `${path}[${i}]`), `${path}[${i}]`));
  refuseRepeatedClients(entries, path);
  return entries;
}

/** An object holding only application fields. */
export function applicationFields(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RegistrationError(path, 'must be a JSON object.');
  const unknown = Object.keys(value).find((name) => !APPLICATION_FIELDS.includes(name));
  if (unknown !== undefined) throw new RegistrationError(`${path}.${unknown}`, `is not a field of an application (expected ${APPLICATION_FIELDS.join(', ')}).`);
  return value as Record<string, unknown>;
}

/** Client ids are global in Entra (an app is found by its id alone), so one id is one app. */
export function refuseRepeatedClients(entries: readonly { clientId: string }[], path: string): void {
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    if (seen.has(entry.clientId)) throw new RegistrationError(`${path}[${i}].clientId`, 'repeats the client id of an earlier application.');
    seen.add(entry.clientId);
  });
}

/** The registrations a process holds: applications by client id, password hashes by user. */
export class Registrations {
  #applications = new Map<string, Application>();
  #passwords = new Map<string, string>();

  application(clientId: string): Application | undefined {
    return this.#applications.get(clientId.toLowerCase());
  }

  passwordHash(tenantId: string, userId: string): string | undefined {
    return this.#passwords.get(userKey(tenantId, userId));
  }

  applications(): Application[] {
    return [...this.#applications.values()];
  }

  /** Adds (or replaces, by client id and by user) what the entries register, hashing plain secrets first. */
  async add(applications: readonly ApplicationEntry[], passwords: readonly PasswordEntry[] = []): Promise<void> {
    this.adopt(await Registrations.of(applications, passwords), false);
  }

  /**
   * Takes over what `other` registers: in place of everything (an import, once the store has committed),
   * or on top of what is here.
   */
  adopt(other: Registrations, replace = true): void {
    if (replace) {
      this.#applications = new Map(other.#applications);
      this.#passwords = new Map(other.#passwords);
      return;
    }
    for (const [clientId, application] of other.#applications) this.#applications.set(clientId, application);
    for (const [user, hash] of other.#passwords) this.#passwords.set(user, hash);
  }

  /** Registrations of the entries alone, their secrets hashed (scrypt runs off the event loop, so all at once). */
  static async of(applications: readonly ApplicationEntry[], passwords: readonly PasswordEntry[] = []): Promise<Registrations> {
    const registrations = new Registrations();
    const settled = await Promise.all(applications.map(settleApplication));
    const hashes = await Promise.all(passwords.map(async (entry) => [userKey(entry.tenantId, entry.userId), await secretHashOf(entry.secret)] as const));
    for (const application of settled) registrations.#applications.set(application.clientId, application);
    for (const [key, hash] of hashes) registrations.#passwords.set(key, hash);
    return registrations;
  }
}

function userKey(tenantId: string, userId: string): string {
  return `${tenantId.toLowerCase()}/${userId.toLowerCase()}`;
}

/** An application as the state format writes it: the apps file's fields, the secret as its hash. */
export function applicationJson(application: Application) {
  return {
    clientId: application.clientId,
    tenantId: application.tenantId,
    displayName: application.displayName,
    ...(application.secretHash !== null && { clientSecretHash: application.secretHash }),
    roles: [...application.roles],
    scopes: [...application.scopes],
    redirectUris: [...application.redirectUris],
  };
}

/** The passwords of a users file's entries (`password`, or `passwordHash` as an export writes it); a bad one is {@link InvalidInput}. */
export function usersFilePasswords(entries: readonly SeedUser[]): PasswordEntry[] {
  try {
    return entries.flatMap(({ user, password, passwordHash, path }) => {
      const secret = readPassword(password, passwordHash, `${path}.password`);
      return secret === undefined ? [] : [{ tenantId: user.tenantId, userId: user.id, secret }];
    });
  } catch (error) {
    if (error instanceof RegistrationError) throw new InvalidInput(`The users file is not valid: ${error.message}`);
    throw error;
  }
}
