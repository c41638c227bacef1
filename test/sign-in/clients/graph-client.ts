// @microsoft/microsoft-graph-client 3 with its TokenCredentialAuthenticationProvider and a ClientSecretCredential.
import { ClientSecretCredential } from '@azure/identity';
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import { allowedHosts, authorityOptions, env } from './environment.js';

const credential = new ClientSecretCredential(env.tenantId, env.clientId, env.clientSecret, authorityOptions);
const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: ['https://graph.microsoft.com/.default'] });
const client = Client.initWithMiddleware({ authProvider, baseUrl: `${env.origin}/`, defaultVersion: 'v1.0', customHosts: allowedHosts });

const path = `/users/${env.userId}/authentication/operations`;
const created = (await client.api(path).post({ statusDetail: 'from graph-client' })) as { id: string };
const read = (await client.api(`${path}/${created.id}`).get()) as { statusDetail: string };
console.log(JSON.stringify({ created: created.id, read: read.statusDetail }));
