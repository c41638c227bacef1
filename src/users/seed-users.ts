import { createHash } from 'node:crypto';
import { InvalidInput } from '../operations/domain-error.js';
import { readJsonFile } from '../operations/json-file.js';
import type { NamedUser, UserDirectory } from '../operations/ports/user-directory.js';
import { isGuid } from './object-id.js';

/** The tenant of the emulator's users when nobody names one. */
export const DEV_TENANT_ID = '00000000-0000-4000-8000-00000000d3e0';
/** The user `npm start` prints a token for. */
export const DEV_USER_PRINCIPAL_NAME = 'dev@contoso.com';

/**
 * The object id of a UPN nobody seeded: derived from tenant and UPN (a name-based UUID), so every token
 * minted for the same user, by any process, names the same object id.
 */
export function derivedObjectId(tenantId: string, userPrincipalName: string): string {
  const hex = createHash('sha256').update(`${tenantId}/${userPrincipalName.toLowerCase()}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The known user with that UPN, or a new one with a derived id, written to the directory either way. */
export async function ensureUser(directory: UserDirectory, tenantId: string, userPrincipalName: string): Promise<NamedUser> {
  const known = await directory.findByUserPrincipalName(tenantId, userPrincipalName);
  if (known) return known;
  const user = { tenantId, id: derivedObjectId(tenantId, userPrincipalName), userPrincipalName };
  await directory.upsert(user);
  return user;
}

/** A user of a users file, with the sign-in fields it may carry (`password`, `passwordHash`), for the sign-in rules to read. */
export interface SeedUser {
  readonly user: NamedUser;
  readonly password: unknown;
  readonly passwordHash: unknown;
  /** Where it stands in the file (`users.json[2]`), for messages. */
  readonly path: string;
}

/**
 * Reads a users file (`[{"id","userPrincipalName","tenantId"?,"password"?}]`) into the directory and answers
 * its entries; a bad file is {@link InvalidInput}. Passwords are not this module's: the sign-in rules hash
 * and keep them (`sign-in/registrations.ts`).
 */
export async function seedUsers(directory: UserDirectory, file: string): Promise<SeedUser[]> {
  const users = readSeedUsers(await readJsonFile(file, 'users'), file);
  for (const { user } of users) await directory.upsert(user);
  return users;
}

/** The users of a users file's array (or of the package API's `users` option), `where` naming it in messages. */
export function readSeedUsers(value: unknown, where: string): SeedUser[] {
  if (!Array.isArray(value)) throw new InvalidInput(`The users file ${where} must hold a JSON array of users.`);
  return value.map((entry, i) => seedUser(entry, `${where}[${i}]`));
}

function seedUser(entry: unknown, where: string): SeedUser {
  const { id, userPrincipalName, tenantId = DEV_TENANT_ID, password, passwordHash } = (entry ?? {}) as Record<string, unknown>;
  if (typeof id !== 'string' || !isGuid(id)) throw new InvalidInput(`${where}: "id" must be a GUID.`);
  if (typeof userPrincipalName !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(userPrincipalName)) {
    throw new InvalidInput(`${where}: "userPrincipalName" must look like name@domain.`);
  }
  if (typeof tenantId !== 'string' || !isGuid(tenantId)) throw new InvalidInput(`${where}: "tenantId" must be a GUID.`);
  return { user: { tenantId: tenantId.toLowerCase(), id: id.toLowerCase(), userPrincipalName }, password, passwordHash, path: where };
}
