// Jest runs this once, in its main process; its test files run in workers, which inherit the environment
// variables set here, so that is how they learn the server's URL and a token.
import { startGraphLro } from 'graph-lro';

export default async function globalSetup() {
  const lro = await startGraphLro();
  process.env.GRAPH_URL = lro.url;
  process.env.GRAPH_TOKEN = await lro.token({ user: 'adele@contoso.com' });
  globalThis.graphLro = lro; // globalTeardown runs in the same process and stops it
}
