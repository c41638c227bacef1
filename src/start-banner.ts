import type { AddressInfo } from 'node:net';
import type { DevAuthority } from './auth/dev-authority.js';
import type { IdentityMode } from './auth/identity-mode.js';
import { ADMIN_PERMISSION } from './auth/permissions.js';
import type { FaultOptions } from './emulator/faults.js';
import { formatIsoDuration } from './emulator/iso-duration.js';
import { PASSWORD_RESET_DEFAULTS, type PasswordResetOptions } from './operations/password-reset.js';
import type { Store } from './operations/ports/store.js';
import { DASHBOARD_PATH } from './routes/dashboard.js';
import { SERVER_HOSTS, SERVER_IPS } from './tls/certificates.js';
import type { LocalCa } from './tls/local-ca.js';
import { DEV_TENANT_ID, DEV_USER_PRINCIPAL_NAME, ensureUser } from './users/seed-users.js';

/** Who the dashboard link printed at start signs in as. */
const DEV_ADMIN_PRINCIPAL_NAME = 'admin@contoso.com';

export interface Banner {
  /** The URL `listen` answered: one a client on this machine can call. */
  readonly address: string;
  /** Every address actually bound, which may be wider than {@link address} says (0.0.0.0, ::). */
  readonly bound: readonly (AddressInfo | string)[];
  /** Where the data lives, e.g. `data in /srv/graph-lro`. */
  readonly where: string;
  /** Every emulator feature that is on, as {@link emulatorFeatures} names them. */
  readonly features: readonly string[];
  /** With `--https`: the local CA a client must trust. */
  readonly localCa?: LocalCa;
}

/** What every start prints: where it serves, what it is bound to, who vouches for callers, what of the emulator is on. */
export function startBanner(banner: Banner, identity: string): string {
  return [
    '',
    `graph-lro is serving ${banner.address}/v1.0 and ${banner.address}/beta (${banner.where})`,
    `Listening on ${banner.bound.map(describeBound).join(', ')}`,
    `Identity: ${identity}`,
    ...(banner.localCa ? localCaLines(banner.localCa) : []),
    `Emulator features on: ${banner.features.length > 0 ? banner.features.join('; ') : 'none'}`,
    '',
  ].join('\n');
}

/** The banner under dev identity, with a dev token and the dashboard's sign-in link to start from. */
export async function devBanner(banner: Banner, store: Store, authority: DevAuthority): Promise<string> {
  const user = await ensureUser(store.users, DEV_TENANT_ID, DEV_USER_PRINCIPAL_NAME);
  const jwt = await authority.mint({ tenantId: DEV_TENANT_ID, user });
  const admin = await ensureUser(store.users, DEV_TENANT_ID, DEV_ADMIN_PRINCIPAL_NAME);
  const adminJwt = await authority.mint({ tenantId: DEV_TENANT_ID, user: admin, scopes: [ADMIN_PERMISSION] });
  const { address } = banner;
  const identity = `dev: this server signs its own tokens (public key at ${address}/.well-known/jwks.json)`;
  return [
    startBanner(banner, identity),
    `A dev token for ${user.userPrincipalName} with every UserAuthenticationMethod scope (valid 24 h):`,
    '',
    jwt,
    '',
    'Try:',
    `  curl -s${curlTrust(banner.localCa)} -X POST ${address}/v1.0/me/authentication/operations -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{}'`,
    '',
    // In the fragment, which browsers never send: the token reaches neither a server nor a log.
    `The admin dashboard, signed in as ${admin.userPrincipalName} with ${ADMIN_PERMISSION} (valid 24 h):`,
    `  ${address}${DASHBOARD_PATH}#token=${adminJwt}`,
    '',
  ].join('\n');
}

/**
 * How to trust the local CA: the line to paste, quoted for a shell, which Node reads only as it starts. A CA
 * in memory has no file to point at, so its certificate is printed: it is public, and its key is not kept.
 */
function localCaLines(ca: LocalCa): string[] {
  const names = [...SERVER_HOSTS, ...SERVER_IPS];
  const certificate = `HTTPS: a certificate for ${names.slice(0, -1).join(', ')} and ${names.at(-1)}, signed by`;
  if (ca.caFile === undefined) {
    return [`${certificate} a local CA kept in memory (--memory). To trust it, save this as ca.pem and set NODE_EXTRA_CA_CERTS=ca.pem:`, ca.caCertificate.trimEnd()];
  }
  const made = ca.made ? ', made now: no client trusts it yet' : '';
  return [`${certificate} the local CA ${ca.caFile}${made}. Node.js clients trust it with:`, `  export NODE_EXTRA_CA_CERTS=${shellQuoted(ca.caFile)}`];
}

/** curl trusts the local CA by its file: the kept one, or the one the banner asked to save. */
function curlTrust(ca: LocalCa | undefined): string {
  return ca === undefined ? '' : ` --cacert ${ca.caFile === undefined ? 'ca.pem' : shellQuoted(ca.caFile)}`;
}

function shellQuoted(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/** `0.0.0.0:8080 (every IPv4 interface)`, `[::1]:5050 (loopback)`: an operator sees how far the port reaches. */
function describeBound(bound: AddressInfo | string): string {
  if (typeof bound === 'string') return bound; // a socket file
  const { address, family, port } = bound;
  const host = family === 'IPv6' ? `[${address}]` : address;
  const reach = address === '0.0.0.0' ? ' (every IPv4 interface)' : address === '::' ? ' (every interface)' : isLoopbackAddress(address) ? ' (loopback)' : '';
  return `${host}:${port}${reach}`;
}

function isLoopbackAddress(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** The emulator's conveniences that are on, named by the flags that turned them on, for the banner and the log. */
export function emulatorFeatures(
  settings: {
    readonly emulatorClock: boolean;
    readonly emulatorState: boolean;
    readonly seed?: string;
    readonly simulateThrottling?: string;
    readonly simulateLatency?: string;
    readonly simulateFailures?: string;
  },
  identity: IdentityMode,
  passwordReset: PasswordResetOptions | false,
  faults: FaultOptions | undefined,
): string[] {
  const features: string[] = [];
  if (identity.kind === 'dev') features.push(identity.onNetwork ? 'dev identity ON THE NETWORK (--dev-identity)' : 'dev identity');
  if (passwordReset) {
    const duration = formatIsoDuration(passwordReset.durationTicks ?? PASSWORD_RESET_DEFAULTS.durationTicks);
    features.push(`simulated password resets (${duration}, failure rate ${passwordReset.failureRate ?? PASSWORD_RESET_DEFAULTS.failureRate})`);
  }
  if (settings.emulatorClock) features.push('admin clock (--emulator-clock)');
  if (settings.emulatorState) features.push('admin reset, export and import, scripted password resets (--emulator-state)');
  if (settings.seed !== undefined) features.push(`seeded from ${settings.seed} (--seed)`);
  if (faults?.throttle) features.push(`--simulate-throttling ${settings.simulateThrottling}`);
  if (faults?.latency) features.push(`--simulate-latency ${settings.simulateLatency}`);
  if (faults?.failures?.length) features.push(`--simulate-failures ${settings.simulateFailures}`);
  return features;
}
