import { get } from 'node:https';

/**
 * A GET over HTTPS that trusts only `ca` (or, without it, Node's bundled roots) and checks the host name,
 * on a connection of its own (no agent), so no session of another server is reused. Rejects with the TLS
 * error's code (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `ERR_TLS_CERT_ALTNAME_INVALID`) when the server is refused.
 */
export function httpsGet(url: string, options: { ca?: string; token?: string; servername?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = options.token ? { authorization: `Bearer ${options.token}` } : {};
    const request = get(url, { ca: options.ca, servername: options.servername, headers, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}
