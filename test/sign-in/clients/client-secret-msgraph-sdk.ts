// ClientSecretCredential → @microsoft/kiota-authentication-azure → @microsoft/msgraph-sdk, on /users/{id}.
import { ClientSecretCredential } from '@azure/identity';
import { AzureIdentityAuthenticationProvider } from '@microsoft/kiota-authentication-azure';
import { createGraphServiceClient, GraphRequestAdapter } from '@microsoft/msgraph-sdk';
import '@microsoft/msgraph-sdk-users';
import { allowedHosts, authorityOptions, env } from './environment.js';

const credential = new ClientSecretCredential(env.tenantId, env.clientId, env.clientSecret, authorityOptions);
const authProvider = new AzureIdentityAuthenticationProvider(credential, ['https://graph.microsoft.com/.default'], undefined, allowedHosts);
const adapter = new GraphRequestAdapter(authProvider);
adapter.baseUrl = `${env.origin}/v1.0`;
const graph = createGraphServiceClient(adapter);

const operations = graph.users.byUserId(env.userId).authentication.operations;
const created = await operations.post({ statusDetail: 'queued by a worker' });
const read = await operations.byLongRunningOperationId(created!.id!).get();
const patched = await operations.byLongRunningOperationId(created!.id!).patch({ status: 'running', statusDetail: 'half way' });
console.log(JSON.stringify({ created: created?.id, read: read?.statusDetail, patched: patched?.status }));
