import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { it } from 'node:test';
import { connect, type PeerCertificate } from 'node:tls';

/** Debian's Chromium, which `.ci/run` installs; playwright-core drives it, with no browser download of its own. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Whether the browser tests of `what` ("the dashboard", "the sign-in page") can run. Without Chromium they
 * are skipped, loudly, on a developer's machine, and fail under CI: a CI that lost Chromium must not pass
 * by testing nothing.
 */
export function chromiumAvailable(what: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) {
    it(`${what} in Chromium: Chromium is required in CI`, () => {
      throw new Error(`Chromium is required in CI but ${CHROMIUM} is missing: install the Debian packages chromium and chromium-driver (.ci/run does).`);
    });
    return false;
  }
  process.stderr.write(
    [
      '',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      `!!! ${CHROMIUM} not found: the browser tests of ${what} are SKIPPED.`,
      '!!! Install it: apt-get install chromium chromium-driver. With CI set, this fails.',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '',
      '',
    ].join('\n'),
  );
  it(`${what} in Chromium: needs ${CHROMIUM}`, { skip: `${CHROMIUM} not found` }, () => undefined);
  return false;
}

/**
 * The flag that has Chromium accept the certificate an HTTPS server at `origin` presents, and no other: the
 * hash of that certificate's public key, once Node.js has verified the certificate against `ca` (chain and
 * host name). Chromium reads no CA from the command line, and a launch's user profile is new each time, so
 * this pin is how it trusts a local CA's server without trusting every certificate (`ignoreHTTPSErrors`). The
 * leaf's key, not the CA's: Chromium matches the keys of the chain the server sends, and graph-lro sends
 * its own certificate alone.
 */
export async function trustServerCertificate(origin: string, ca: string): Promise<string> {
  const { hostname, port } = new URL(origin);
  const presented = await new Promise<PeerCertificate>((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.on('error', reject);
  });
  const key = new X509Certificate(presented.raw).publicKey.export({ type: 'spki', format: 'der' });
  return `--ignore-certificate-errors-spki-list=${createHash('sha256').update(key).digest('base64')}`;
}
