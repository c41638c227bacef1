/**
 * The layers of src/, as rules over its imports (type-only imports included): `npm run lint:layers`, the
 * first step of `npm test`. Dependencies point inwards: routes → domain ← store.
 *
 * - the domain: src/operations/ (the model, the use cases and the ports it needs, in operations/ports/),
 *   src/users/ (who a path names), src/emulator/ (the emulator's state, clock and faults, as data) and
 *   src/sign-in/ (who may sign in at the dev identity's endpoints, and the rules of its grants)
 * - the engines: src/store/ (sqlite/, postgres/ and the SQL they share), implementing the domain's ports
 * - the protocol: src/graph/ (Graph's wire format, OData, the error catalogue), src/entra/ (Entra's: its
 *   error catalogue, discovery document, token response and sign-in pages), src/auth/ (tokens and the
 *   permission policy), src/protection/ and src/observability/ (hooks of the request pipeline)
 * - the handlers: src/routes/, which call domain services
 * - the process: src/app.ts (builds the app from a config object: the one place that wires engines to the
 *   domain), src/cli.ts (the entry), src/config.ts (flags and environment), src/serve-options.ts and
 *   src/start-server.ts (a checked configuration, and a server started from it), src/dev-token.ts,
 *   src/limits.ts, src/start-banner.ts
 * - the package: src/graph-lro.ts (the in-process API) and src/index.ts (the package's entry)
 * - the local CA: src/tls/ (`--https`: a certificate authority and the server certificate it signs), which
 *   the process uses and which knows nothing of the service
 */
const DOMAIN = '^src/(operations|users|emulator|sign-in)/';

module.exports = {
  forbidden: [
    {
      name: 'domain-knows-no-outer-layer',
      comment:
        'The domain knows nothing of HTTP, of Graph\'s wire format, of tokens or of SQL: it is what routes call and ' +
        'what stores implement, so it must not depend on either (nor on the process around them). Its ports ' +
        '(operations/ports/) are what the engines implement.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: '^src/((routes|graph|entra|store|auth|protection|observability|tls)/|[^/]+\\.ts$)' },
    },
    {
      name: 'domain-uses-no-web-or-database-library',
      comment: 'The same rule for libraries: no web framework, database driver or metrics client in the domain.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: 'node_modules/(fastify|@fastify|pg|pg-[a-z]+|better-sqlite3|prom-client|pino)/' },
    },
    {
      name: 'core-domain-stands-alone',
      comment:
        'operations/ is the core the other domain modules build on (users/ resolves owners of operations, emulator/ ' +
        'imports and exports them); it depends on none of them, so no two domain folders depend on each other.',
      severity: 'error',
      from: { path: '^src/operations/' },
      to: { path: '^src/(users|emulator|sign-in)/' },
    },
    {
      name: 'users-know-no-emulator',
      comment:
        'The emulator seeds and exports users, and sign-in checks their passwords; users know neither (a users file\'s ' +
        'password is handed on unread).',
      severity: 'error',
      from: { path: '^src/users/' },
      to: { path: '^src/(emulator|sign-in)/' },
    },
    {
      name: 'sign-in-knows-no-emulator',
      comment: 'The emulator exports and imports registrations; the sign-in rules do not know the emulator.',
      severity: 'error',
      from: { path: '^src/sign-in/' },
      to: { path: '^src/emulator/' },
    },
    {
      name: 'store-depends-on-the-domain-only',
      comment:
        'An engine implements the domain\'s ports and nothing else: it imports the domain (its ports and types), its ' +
        'own files and its driver, never the protocol, the routes or the process. Engines stay swappable and testable ' +
        'by one contract suite.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/', pathNot: '^src/(store|operations)/' },
    },
    {
      name: 'graph-knows-no-store',
      comment:
        'The protocol layers (Graph\'s, Entra\'s) map errors and query options to and from domain terms; which database is ' +
        'behind them is not their business (store unavailability reaches it as a predicate app.ts hands to the error ' +
        'handler), nor which route uses them.',
      severity: 'error',
      from: { path: '^src/(graph|entra)/' },
      to: { path: '^src/(store|routes)/' },
    },
    {
      name: 'routes-know-no-store',
      comment: 'Routes are thin handlers: URL → permission → domain service → response. They never reach an engine.',
      severity: 'error',
      from: { path: '^src/routes/' },
      to: { path: '^src/store/' },
    },
    {
      name: 'routes-call-services-not-the-store-port',
      comment:
        'Nor the Store port itself: what a route may do to the data is what a domain service offers (the overview, the ' +
        'emulator\'s state and clock, the operation service), not every table at once.',
      severity: 'error',
      from: { path: '^src/routes/' },
      to: { path: '^src/operations/ports/store\\.ts$' },
    },
    {
      name: 'tls-knows-no-service',
      comment:
        'src/tls/ makes and keeps certificates in the folder it is given: it depends on no flag, store or route, so it ' +
        'can be read and tested as certificates alone (what it hands out holds no CA private key).',
      severity: 'error',
      from: { path: '^src/tls/' },
      to: { path: '^src/', pathNot: '^src/tls/' },
    },
    {
      name: 'nothing-imports-the-cli',
      comment: 'src/cli.ts is the process entry: it parses flags, opens the store and exits; importing it would run it.',
      severity: 'error',
      from: {},
      to: { path: '^src/cli\\.ts$' },
    },
    {
      name: 'nothing-imports-the-package-entry',
      comment:
        'src/index.ts is what users of the package import: it re-exports the package API and nothing in src/ leans on ' +
        'it, so the public surface is the one file a reader opens.',
      severity: 'error',
      from: {},
      to: { path: '^src/index\\.ts$' },
    },
    {
      name: 'config-knows-no-app',
      comment:
        'Reading flags must not load the whole service: the limits\' defaults live in src/limits.ts, which both use.',
      severity: 'error',
      from: { path: '^src/config\\.ts$' },
      to: { path: '^src/app\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'A cycle ties modules into one: neither can be read, tested or replaced without the other.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    // Type-only imports are dependencies too: a domain that imports a store's types depends on that store.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Sources import each other as `.js` (NodeNext); dependency-cruiser resolves those to the `.ts` files.
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
    doNotFollow: { path: 'node_modules' },
    includeOnly: { path: ['^src/', 'node_modules/'] },
    exclude: { path: '^dist/' },
  },
};
