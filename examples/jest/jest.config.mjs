export default {
  testEnvironment: 'node',
  rootDir: '.',
  // One graph-lro for the whole run: started before the first test file, stopped after the last.
  globalSetup: './global-setup.mjs',
  globalTeardown: './global-teardown.mjs',
};
