import { BlockList, isIPv6 } from 'node:net';

/**
 * Who vouches for callers:
 * - `provider`: a real identity provider's keys (JWKS or OIDC discovery); nothing of the emulator is on
 *   unless asked for;
 * - `dev`: this server signs its own tokens (the emulator's). `onNetwork` says it was knowingly allowed on
 *   an address other machines can reach (`--dev-identity`), which is worth a warning at every start.
 */
export type IdentityMode = { readonly kind: 'provider' } | { readonly kind: 'dev'; readonly onNetwork: boolean };

export interface IdentityChoice {
  /** The address `serve` listens on (`--host`). */
  readonly host: string;
  /** Whether `--jwks-url` or `--oidc-discovery-url` names an identity provider. */
  readonly provider: boolean;
  /** `--dev-identity`: serve self-signed dev tokens even on a network address. */
  readonly devIdentity: boolean;
}

/** Why a start was refused; the CLI prints it as its one line. */
export class IdentityModeRefused extends Error {
  override readonly name = 'IdentityModeRefused';
}

/**
 * Dev identity is what a developer expects on their own machine, and what nobody expects on a server: it is
 * chosen without being asked only where every address listened on is loopback. Anywhere else, without an
 * identity provider, a deployment that merely forgot its provider flags would hand out valid tokens to anyone
 * who reads its logs or its database, so it refuses to start instead.
 */
export function chooseIdentityMode(choice: IdentityChoice): IdentityMode {
  if (choice.provider) {
    if (choice.devIdentity) {
      throw new IdentityModeRefused('--dev-identity cannot be combined with --jwks-url or --oidc-discovery-url: choose one identity.');
    }
    return { kind: 'provider' };
  }
  if (isLoopbackHost(choice.host)) return { kind: 'dev', onNetwork: false };
  if (choice.devIdentity) return { kind: 'dev', onNetwork: true };
  throw new IdentityModeRefused(
    `--host ${choice.host} is not a loopback address and no identity provider is configured: configure one with ` +
      '--jwks-url or --oidc-discovery-url (and --audience), or pass --dev-identity (GRAPH_LRO_DEV_IDENTITY) to serve self-signed dev tokens on the network knowingly.',
  );
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * 127.0.0.0/8, ::1 (also as an IPv4-mapped address) and `localhost`, which resolves to those alone. Any other
 * name is not loopback: what it resolves to is the network's to say, not ours.
 */
export function isLoopbackHost(host: string): boolean {
  const address = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (address.toLowerCase() === 'localhost') return true;
  return LOOPBACK.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
}
