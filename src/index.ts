/**
 * The package `graph-lro`: a graph-lro server in the tests' own process (docs/testing.md#the-package-api).
 * The command line is the `graph-lro` bin (`dist/cli.js`).
 */
export { startGraphLro } from './graph-lro.js';
export type {
  GraphLro,
  GraphLroApplication,
  GraphLroClock,
  GraphLroOptions,
  GraphLroScript,
  GraphLroScriptStep,
  GraphLroState,
  GraphLroTokenRequest,
  GraphLroUser,
} from './graph-lro.js';
