/**
 * What the domain refuses, in its own terms: a kind and a message that says what exactly was wrong. No
 * status and no headers: the protocol layer (`graph/error-envelope.ts`) maps each kind to an entry of
 * Graph's error catalogue, and the message goes out as the error's message.
 */
export type DomainErrorKind =
  /** The input is not of the shape the use case reads (a body that is not a JSON object). */
  | 'malformed'
  /** The input names a property or parameter the entity or action does not have. */
  | 'unknownProperty'
  /** A property or parameter has a value the domain does not accept. */
  | 'invalidValue'
  /** The input changes a property only the service sets. */
  | 'readOnlyProperty'
  /** The operation (or another addressed item) does not exist for this owner. */
  | 'notFound'
  /** The user a path names is not known in the caller's tenant. */
  | 'userNotFound'
  /** The request names the signed-in user (`/me`) but the caller is an application, not a user. */
  | 'noSignedInUser'
  /** The change contradicts the current state (a finished operation, a status moving back). */
  | 'conflict'
  /** The caller's version of the entity is not the current one (`If-Match`). */
  | 'versionMismatch'
  /** Other writers kept changing the entity while this change was applied: retry shortly. */
  | 'contention';

export class DomainError extends Error {
  override readonly name: string = 'DomainError';

  constructor(
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Input the service is given at start that it cannot use: a seed file, a users file, a `--simulate-*`
 * value. Not a request's error: the process entry answers it as it answers a bad flag (exit code 2, the
 * one-line message).
 */
export class InvalidInput extends Error {
  override readonly name = 'InvalidInput';
}
