/**
 * How the runners (bench/run.ts, bench/commit-designs.ts) write their figures and results files: one
 * definition each, so that the same figure reads the same in every report.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = fileURLToPath(new URL('results', import.meta.url));

/** Writes `report` as bench/results/<its start, as 2026-01-31T120000Z>-<name>.json; answers the file's path. */
export function writeResults(report: { readonly startedAt: string }, name: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = report.startedAt.replace(/:/g, '').replace(/\.\d+Z$/, 'Z');
  const file = join(RESULTS_DIR, `${stamp}-${name}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

/** The machine's load averages (1, 5, 15 min) as `0.52 0.61 0.70`. */
export function loadAverages(): string {
  return loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
}

/** The machine's 1-minute load average, to 2 decimals: other work on the machine shows here. */
export function loadAverage(): number {
  return Math.round(loadavg()[0]! * 100) / 100;
}

/** The value at or below which `p` % of `sorted` (ascending) lie: nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/** A whole number with thousands separators: `12,345`. */
export function fmt(value: number): string {
  return Math.round(value).toLocaleString('en');
}

/** Milliseconds: one decimal below 100. */
export function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
