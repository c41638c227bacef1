/** The X.509 library, `@peculiar/x509`, loaded once and only when a local CA is asked for. */
export type X509 = typeof import('@peculiar/x509');

let loaded: Promise<X509> | undefined;

/**
 * `@peculiar/x509` registers its algorithms with tsyringe, which refuses to load without a Reflect metadata
 * polyfill; its README asks for `reflect-metadata`, imported first. It is imported here, with the library,
 * so a server without `--https` (and a test process that never asks for HTTPS) loads neither.
 */
export function loadX509(): Promise<X509> {
  return (loaded ??= import('reflect-metadata').then(() => import('@peculiar/x509')));
}
