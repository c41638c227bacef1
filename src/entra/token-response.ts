import type { TokenGrant } from '../sign-in/sign-in-service.js';

/**
 * A token response as Entra's v2.0 endpoint writes it, the members MSAL reads: `token_type` Bearer,
 * `expires_in` and `ext_expires_in` (seconds), `access_token`, and when granted `scope`, `refresh_token`,
 * `id_token` and `client_info`.
 */
export function tokenResponse(grant: TokenGrant) {
  return {
    token_type: 'Bearer',
    ...(grant.scope !== undefined && { scope: grant.scope }),
    expires_in: grant.expiresIn,
    ext_expires_in: grant.expiresIn,
    access_token: grant.accessToken,
    ...(grant.refreshToken !== undefined && { refresh_token: grant.refreshToken }),
    ...(grant.idToken !== undefined && { id_token: grant.idToken }),
    ...(grant.clientInfo !== undefined && { client_info: grant.clientInfo }),
  };
}
