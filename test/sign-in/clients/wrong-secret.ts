// A wrong client secret: what the credential's error says.
import { ClientSecretCredential } from '@azure/identity';
import { authorityOptions, env } from './environment.js';
import { printRefusal } from './refusal.js';

const credential = new ClientSecretCredential(env.tenantId, env.clientId, 'not-the-secret', authorityOptions);
await printRefusal(() => credential.getToken('https://graph.microsoft.com/.default'));
