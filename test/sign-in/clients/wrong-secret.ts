// A wrong client secret: what the credential's error says.
import { ClientSecretCredential } from '@azure/identity';
import { authorityOptions, env } from './environment.js';

const credential = new ClientSecretCredential(env.tenantId, env.clientId, 'not-the-secret', authorityOptions);
try {
  await credential.getToken('https://graph.microsoft.com/.default');
  console.log(JSON.stringify({ error: null }));
} catch (error) {
  console.log(JSON.stringify({ name: (error as Error).name, error: (error as Error).message }));
}
