import { InvalidInput } from '../operations/domain-error.js';
import type { FailureRule, FaultOptions, ThrottleFault } from './faults.js';

/** The `--simulate-*` flags, their environment variables and their help: part of `serve`'s settings (`config.ts`). */
export const FAULT_SETTINGS = {
  simulateThrottling: { flag: 'simulate-throttling', env: 'GRAPH_LRO_SIMULATE_THROTTLING', type: 'string', help: 'Emulator: simulated 429s on API routes, at random (0.1) or on every Nth request of each caller (every:5); off when unset.' },
  simulateThrottlingRetryAfter: { flag: 'simulate-throttling-retry-after', env: 'GRAPH_LRO_SIMULATE_THROTTLING_RETRY_AFTER', type: 'string', default: '5', help: 'Emulator: Retry-After seconds of simulated 429s and 503s.' },
  simulateLatency: { flag: 'simulate-latency', env: 'GRAPH_LRO_SIMULATE_LATENCY', type: 'string', help: 'Emulator: delay before each API request is handled, in ms (50) or a range (20-200); off when unset.' },
  simulateFailures: { flag: 'simulate-failures', env: 'GRAPH_LRO_SIMULATE_FAILURES', type: 'string', help: "Emulator: simulated 500/503s, nothing written: 503:0.1 (all API routes) or 'POST /v1.0/me/authentication/operations=500:0.5', ;-separated; off when unset." },
} as const;

/** The raw `--simulate-*` values, as `readSettings` gives them. */
export interface FaultSettings {
  readonly simulateThrottling?: string | undefined;
  readonly simulateThrottlingRetryAfter?: string | undefined;
  readonly simulateLatency?: string | undefined;
  readonly simulateFailures?: string | undefined;
}

type Setting = { readonly flag: string; readonly env: string };

const PROBABILITY = /^(?:0(?:\.\d+)?|1(?:\.0+)?|\.\d+)$/;
const MAX_LATENCY_MS = 60_000;

const name = (setting: Setting) => `--${setting.flag} (${setting.env})`;
const given = (text: string | undefined): text is string => text !== undefined && text.trim() !== '';

/** `--simulate-*` flags → `AppOptions.faults`, or undefined when none is set; {@link InvalidInput} for a bad value. */
export function parseFaultSettings(settings: FaultSettings): FaultOptions | undefined {
  const throttle = given(settings.simulateThrottling) ? parseThrottle(settings.simulateThrottling) : undefined;
  const latency = given(settings.simulateLatency) ? parseLatency(settings.simulateLatency) : undefined;
  const failures = given(settings.simulateFailures) ? parseFailures(settings.simulateFailures) : [];
  const retryAfterSeconds = given(settings.simulateThrottlingRetryAfter) ? parseRetryAfter(settings.simulateThrottlingRetryAfter) : undefined;
  if (throttle === undefined && latency === undefined && failures.length === 0) return undefined;
  return { ...(throttle && { throttle }), ...(latency && { latency }), ...(failures.length > 0 && { failures }), ...(retryAfterSeconds !== undefined && { retryAfterSeconds }) };
}

/** `0.1` (a probability) or `every:5` (every 5th request of each caller); `0` is off. */
export function parseThrottle(text: string): ThrottleFault | undefined {
  const value = text.trim();
  const every = /^every:(\d{1,9})$/i.exec(value);
  if (every && Number(every[1]) >= 1) return { every: Number(every[1]) };
  if (PROBABILITY.test(value)) return Number(value) > 0 ? { probability: Number(value) } : undefined;
  throw new InvalidInput(`${name(FAULT_SETTINGS.simulateThrottling)} must be a probability from 0 to 1 (0.1) or every:N (every:5), not '${text}'.`);
}

/** Whole seconds, 1 to 3600. */
export function parseRetryAfter(text: string): number {
  const value = text.trim();
  const seconds = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(seconds >= 1 && seconds <= 3600)) {
    throw new InvalidInput(`${name(FAULT_SETTINGS.simulateThrottlingRetryAfter)} must be whole seconds from 1 to 3600, not '${text}'.`);
  }
  return seconds;
}

/** `50` (always 50 ms) or `20-200` (uniformly from 20 to 200 ms). */
export function parseLatency(text: string): { minMs: number; maxMs: number } | undefined {
  const m = /^(\d{1,6})(?:\s*-\s*(\d{1,6}))?$/.exec(text.trim());
  const minMs = m ? Number(m[1]) : NaN;
  const maxMs = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(minMs <= maxMs && maxMs <= MAX_LATENCY_MS)) {
    throw new InvalidInput(`${name(FAULT_SETTINGS.simulateLatency)} must be milliseconds (50) or a range (20-200), at most ${MAX_LATENCY_MS}, not '${text}'.`);
  }
  return maxMs === 0 ? undefined : { minMs, maxMs };
}

/** `503:0.1` (every API route) or `[METHOD ]/route=500:0.5`, several separated by `;`. */
export function parseFailures(text: string): FailureRule[] {
  return text
    .split(';')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^(?:(?:([A-Za-z]+)\s+)?(\/\S*)\s*=\s*)?(500|503)\s*:\s*(\S+)$/.exec(entry);
      if (!m || !PROBABILITY.test(m[4]!)) {
        throw new InvalidInput(
          `${name(FAULT_SETTINGS.simulateFailures)} must be entries such as 503:0.1 or 'POST /v1.0/me/authentication/operations=500:0.5', separated by ';', not '${entry}'.`,
        );
      }
      const [, method, route = '/', status, probability] = m;
      return { ...(method && { method: method.toUpperCase() }), route, status: Number(status) as 500 | 503, probability: Number(probability) };
    });
}
