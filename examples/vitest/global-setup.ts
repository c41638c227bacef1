// Starts one graph-lro before the first test file and stops it after the last; test files receive its URL
// and a token through `inject`, since they run in workers that cannot share the server object itself.
import { startGraphLro } from 'graph-lro';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    graphUrl: string;
    graphToken: string;
  }
}

export default async function setup(project: TestProject) {
  const lro = await startGraphLro();
  project.provide('graphUrl', lro.url);
  project.provide('graphToken', await lro.token({ user: 'adele@contoso.com' }));
  return () => lro.close();
}
