import type { SignInErrorDetail } from '../sign-in/sign-in-error.js';
import type { EntraErrorEntry } from './errors.js';

/** Where a client looks an AADSTS code up, as Entra's answers say. */
const ERROR_URI = 'https://login.microsoftonline.com/error?code=';

/** Whom an answer is traced by: the request's id, and the client's correlation id (`client-request-id`), as MSAL sends it. */
export interface Trace {
  readonly traceId: string;
  readonly correlationId: string;
}

/**
 * Entra's error body: `error`, an `error_description` that starts with the AADSTS code and ends with the
 * trace, correlation id and time, `error_codes`, `timestamp`, `trace_id`, `correlation_id`, `error_uri`.
 * MSAL builds its error message from these very members.
 */
export function entraErrorBody(entry: EntraErrorEntry, detail: SignInErrorDetail, trace: Trace, now = new Date()) {
  const timestamp = `${now.toISOString().slice(0, 19).replace('T', ' ')}Z`;
  return {
    error: entry.error,
    error_description: `${aadstsMessage(entry, detail)}\r\nTrace ID: ${trace.traceId}\r\nCorrelation ID: ${trace.correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [entry.code],
    timestamp,
    trace_id: trace.traceId,
    correlation_id: trace.correlationId,
    error_uri: `${ERROR_URI}${entry.code}`,
  };
}

/** `AADSTS50126: Error validating credentials…`: how every description of Entra's starts. */
export function aadstsMessage(entry: EntraErrorEntry, detail: SignInErrorDetail): string {
  return `AADSTS${entry.code}: ${entry.description(detail)}`;
}
