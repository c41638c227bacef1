// UsernamePasswordCredential with a user name or password the directory refuses: what the credential's error says.
import { UsernamePasswordCredential } from '@azure/identity';
import { authorityOptions, env } from './environment.js';
import { printRefusal } from './refusal.js';

const credential = new UsernamePasswordCredential(env.tenantId, env.clientId, env.username, env.password, authorityOptions);
await printRefusal(() => credential.getToken('https://graph.microsoft.com/UserAuthenticationMethod.ReadWrite'));
