/**
 * `npm run bench -- --profile DIR`: both servers run under V8's CPU profiler (`node --cpu-prof`), each
 * profile is kept in DIR (open it in Chrome DevTools' Performance panel or speedscope for a flame graph),
 * and the report says where each side's CPU went per request, by package.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

/** A `.cpuprofile` as V8 writes it: a call tree, and which node was on the CPU at each sample. */
export interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string } }[];
  readonly samples: readonly number[];
  /** Microseconds from the previous sample to this one. */
  readonly timeDeltas: readonly number[];
}

/** Self time per request, by where the code comes from; the process's idle time is left out. */
export interface ProfileBreakdown {
  readonly file: string;
  readonly requests: number;
  /** µs of CPU per request in all. */
  readonly totalUs: number;
  /** µs per request by origin: a package's name, `node:<module>`, `graph-lro`, `ceiling`, or one of V8's own. */
  readonly byOrigin: Readonly<Record<string, number>>;
}

/** The node flags that make a server write its profile into `dir` when it exits. */
export function profilerFlags(dir: string): string[] {
  // 100 µs between samples (V8's default is 1,000): a request of tens of µs is otherwise seen only by chance.
  return ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '100'];
}

/** Where a sampled function's code comes from: the package, Node's own module, or one of the two servers. */
export function originOf(url: string, functionName: string, roots: { readonly graphLro: string; readonly ceiling: string }): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native code and system calls)';
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  // The innermost package: a dependency's own copy of another (pg/node_modules/pg-types) is that other.
  const pkg = /.*node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(path);
  if (pkg) return pkg[1]!.replace('\\', '/');
  if (path.startsWith('node:')) return `node:${path.slice('node:'.length).split('/')[0]}`;
  if (path.startsWith(roots.graphLro + sep)) return 'graph-lro';
  if (path.startsWith(roots.ceiling + sep)) return 'ceiling';
  return '(other)';
}

/** Self time per request by origin, over the profile's whole run. */
export function breakdown(profile: CpuProfile, file: string, requests: number, roots: { readonly graphLro: string; readonly ceiling: string }): ProfileBreakdown {
  const origins = new Map<number, string | undefined>();
  for (const node of profile.nodes) {
    const { functionName, url } = node.callFrame;
    origins.set(node.id, functionName === '(idle)' && url === '' ? undefined : originOf(url, functionName, roots));
  }
  const totals = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const origin = origins.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (origin === undefined) return;
    totals.set(origin, (totals.get(origin) ?? 0) + us);
    total += us;
  });
  const perRequest = (us: number) => (requests > 0 ? us / requests : 0);
  const byOrigin = Object.fromEntries([...totals].sort((a, b) => b[1] - a[1]).map(([origin, us]) => [origin, perRequest(us)]));
  return { file, requests, totalUs: perRequest(total), byOrigin };
}

/** The main thread's profile in `dir`: the largest (a loader's worker thread, under tsx, writes its own). */
export function readProfile(dir: string): { file: string; profile: CpuProfile } {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(dir, name))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}: did the server exit cleanly?`);
  return { file: files[0]!, profile: JSON.parse(readFileSync(files[0]!, 'utf8')) as CpuProfile };
}

/** The report's table: the origins that cost either side most, then the rest and the total. */
export function breakdownTable(graphLro: ProfileBreakdown, ceiling: ProfileBreakdown, rows = 14): string[] {
  const origins = [...new Set([...Object.keys(graphLro.byOrigin), ...Object.keys(ceiling.byOrigin)])].sort(
    (a, b) => Math.max(graphLro.byOrigin[b] ?? 0, ceiling.byOrigin[b] ?? 0) - Math.max(graphLro.byOrigin[a] ?? 0, ceiling.byOrigin[a] ?? 0),
  );
  const shown = origins.slice(0, rows);
  const rest = (side: ProfileBreakdown) => side.totalUs - shown.reduce((sum, origin) => sum + (side.byOrigin[origin] ?? 0), 0);
  const us = (value: number) => `${value.toFixed(1)} µs`;
  return [
    '| where (self time) | graph-lro | ceiling |',
    '|---|---:|---:|',
    ...shown.map((origin) => `| ${origin} | ${us(graphLro.byOrigin[origin] ?? 0)} | ${us(ceiling.byOrigin[origin] ?? 0)} |`),
    `| everything else | ${us(rest(graphLro))} | ${us(rest(ceiling))} |`,
    `| **all** (${graphLro.requests.toLocaleString('en')} / ${ceiling.requests.toLocaleString('en')} requests) | **${us(graphLro.totalUs)}** | **${us(ceiling.totalUs)}** |`,
  ];
}
