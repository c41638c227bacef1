/**
 * The OpenID Connect discovery documents of an Entra tenant, for this server's origin: MSAL and
 * `@azure/identity` read `token_endpoint`, `authorization_endpoint`, `issuer` and `jwks_uri` (and refuse a
 * document without one of them, or whose issuer is not at the authority's origin). `{tenant}` is the path's
 * own segment (a tenant id, `common` or `organizations`); a multi-tenant path's issuer names `{tenantid}`,
 * as Entra's does, for a client to fill in from the token.
 */
export function openIdConfiguration(origin: string, tenant: string, version: 'v1.0' | 'v2.0') {
  const base = `${origin}/${tenant}`;
  const issuerTenant = /^(common|organizations)$/i.test(tenant) ? '{tenantid}' : tenant;
  const v2 = version === 'v2.0';
  const oauth = v2 ? `${base}/oauth2/v2.0` : `${base}/oauth2`;
  return {
    token_endpoint: `${oauth}/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    jwks_uri: v2 ? `${base}/discovery/v2.0/keys` : `${base}/discovery/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['ES256'],
    response_types_supported: ['code'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: v2 ? `${origin}/${issuerTenant}/v2.0` : `https://sts.windows.net/${issuerTenant}/`,
    request_uri_parameter_supported: false,
    authorization_endpoint: `${oauth}/authorize`,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'password'],
    code_challenge_methods_supported: ['S256'],
    http_logout_supported: false,
    frontchannel_logout_supported: false,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'nonce', 'name', 'preferred_username', 'oid', 'tid', 'ver'],
    tenant_region_scope: null,
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
  };
}
