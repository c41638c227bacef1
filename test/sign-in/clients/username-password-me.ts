// UsernamePasswordCredential (a public client) → @microsoft/kiota-authentication-azure → @microsoft/msgraph-sdk, on /me.
import { UsernamePasswordCredential } from '@azure/identity';
import { AzureIdentityAuthenticationProvider } from '@microsoft/kiota-authentication-azure';
import { createGraphServiceClient, GraphRequestAdapter } from '@microsoft/msgraph-sdk';
import '@microsoft/msgraph-sdk-users';
import { allowedHosts, authorityOptions, env } from './environment.js';

const credential = new UsernamePasswordCredential(env.tenantId, env.clientId, env.username, env.password, authorityOptions);
const scopes = ['https://graph.microsoft.com/UserAuthenticationMethod.ReadWrite'];
const adapter = new GraphRequestAdapter(new AzureIdentityAuthenticationProvider(credential, scopes, undefined, allowedHosts));
adapter.baseUrl = `${env.origin}/v1.0`;
const graph = createGraphServiceClient(adapter);

const operations = graph.me.authentication.operations;
const created = await operations.post({});
const patched = await operations.byLongRunningOperationId(created!.id!).patch({ status: 'succeeded' });
const listed = await operations.get();
// The token as the credential caches it: a second call is answered from MSAL's cache, not the token endpoint.
const token = await credential.getToken(scopes);
const again = await credential.getToken(scopes);
console.log(JSON.stringify({ created: created?.id, patched: patched?.status, listed: listed?.value?.map((o) => o.id), token: token.token, cached: again.token === token.token }));
