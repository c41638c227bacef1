import type { DirectoryUser } from '../../operations/ports/user-directory.js';
import { namedStatement, type Dialect, type NamedStatement } from './operation-query.js';

/**
 * SQL of the user directory, shared by every engine: the statements both run (PostgreSQL adds the locks
 * its concurrent writers need, see `postgres-store.ts`) and how a row reads back.
 */

export interface UserRow {
  readonly tenant_id: string;
  readonly id: string;
  readonly user_principal_name: string | null;
}

/** What every statement reading users selects: a {@link UserRow}. */
export const USER_COLUMNS = 'tenant_id, id, user_principal_name';

export function userFromRow(row: UserRow): DirectoryUser {
  return { tenantId: row.tenant_id, id: row.id, userPrincipalName: row.user_principal_name };
}

/** A user as the directory's statements bind it; `upnLower` is the UPN's case-insensitive key, null for none. */
export interface UserParameters {
  readonly tenantId: string;
  readonly id: string;
  readonly userPrincipalName: string | null;
  readonly upnLower: string | null;
}

export function userParameters(user: DirectoryUser): UserParameters {
  return { tenantId: user.tenantId, id: user.id, userPrincipalName: user.userPrincipalName, upnLower: user.userPrincipalName?.toLowerCase() ?? null };
}

export interface UserStatements {
  readonly byId: NamedStatement<'tenantId' | 'id'>;
  /** By the UPN's key, `upnLower`. */
  readonly byUpn: NamedStatement<'tenantId' | 'upnLower'>;
  /**
   * The UPN's previous holder loses it but keeps its row: a token may rename a user, never delete one. It
   * goes before {@link save}, or the UNIQUE (tenant_id, upn_lower) constraint would refuse the move. (A NULL
   * UPN equals nothing, so a user recorded without one takes nothing from anyone.)
   */
  readonly releaseUpn: NamedStatement<'tenantId' | 'upnLower' | 'id'>;
  /** Adds the user or sets its UPN. */
  readonly save: NamedStatement<keyof UserParameters>;
}

export function userStatements(dialect: Dialect): UserStatements {
  return {
    byId: namedStatement(dialect, ['tenantId', 'id'], (p) => `SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = ${p('tenantId')} AND id = ${p('id')}`),
    byUpn: namedStatement(
      dialect,
      ['tenantId', 'upnLower'],
      (p) => `SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = ${p('tenantId')} AND upn_lower = ${p('upnLower')}`,
    ),
    releaseUpn: namedStatement(
      dialect,
      ['tenantId', 'upnLower', 'id'],
      (p) => `UPDATE users SET user_principal_name = NULL, upn_lower = NULL WHERE tenant_id = ${p('tenantId')} AND upn_lower = ${p('upnLower')} AND id <> ${p('id')}`,
    ),
    save: namedStatement(
      dialect,
      ['tenantId', 'id', 'userPrincipalName', 'upnLower'],
      (p) =>
        `INSERT INTO users (tenant_id, id, user_principal_name, upn_lower) VALUES (${p('tenantId')}, ${p('id')}, ${p('userPrincipalName')}, ${p('upnLower')}) ` +
        'ON CONFLICT (tenant_id, id) DO UPDATE SET user_principal_name = excluded.user_principal_name, upn_lower = excluded.upn_lower',
    ),
  };
}
