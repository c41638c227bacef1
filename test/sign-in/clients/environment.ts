/** What the test hands a client: graph-lro's origin (authority host and Graph base), its tenant, an app and a user. */
export const env = {
  origin: required('GRAPH_LRO_ORIGIN'),
  tenantId: required('GRAPH_LRO_TENANT'),
  clientId: required('GRAPH_LRO_CLIENT_ID'),
  clientSecret: process.env.GRAPH_LRO_CLIENT_SECRET ?? '',
  userId: process.env.GRAPH_LRO_USER_ID ?? '',
  username: process.env.GRAPH_LRO_USERNAME ?? '',
  password: process.env.GRAPH_LRO_PASSWORD ?? '',
};

/** What a real app would pass to point @azure/identity at an authority other than login.microsoftonline.com. */
export const authorityOptions = { authorityHost: env.origin, disableInstanceDiscovery: true };

/** The same for MSAL: graph-lro's tenant URL as the authority, its host a known one so MSAL asks no one else about it. */
export const msalAuth = { clientId: env.clientId, authority: `${env.origin}/${env.tenantId}`, knownAuthorities: [new URL(env.origin).host] };

/** Kiota and graph-client compare host names only; graph-lro's is the loopback address. */
export const allowedHosts = new Set([new URL(env.origin).hostname]);

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}
