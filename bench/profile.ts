/**
 * Summarises a V8 .cpuprofile (from `BENCH_PROFILE=1 npm run bench`, or `node --cpu-prof`): top functions by self
 * time, and self time grouped by where the code lives (our src/, each node_modules package, Node internals, GC, idle).
 *   npx tsx bench/profile.ts bench/results/profiles/postgres/load-GET-api-videos-latest.cpuprofile [top=25] [skip-seconds=0]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function area(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return '(program: native, not JS)';
  if (!url) return `(native) ${name}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return url.replace(/^node:internal\/([^/]+).*/, 'node:$1');
  const ours = /\/(src|dist\/src)\/(.*?)(\.[jt]s)?$/.exec(url);
  if (ours) return `src/${ours[2]!.split('/').slice(0, 2).join('/')}`;
  return url;
}

/** `skipSeconds`: leave out the first seconds of the profile (start-up, module loading). */
export function summarise(file: string, top = 25, skipSeconds = 0): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let elapsed = 0;
  profile.samples.forEach((id, i) => {
    elapsed += profile.timeDeltas[i] ?? 0;
    if (elapsed >= skipSeconds * 1e6) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  for (const [id, t] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const name = functionName || '(anonymous)';
    if (name === '(idle)') continue;
    const short = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(dist\/)?src\//, 'src/');
    fns.set(`${name}  ${short}${url ? `:${lineNumber + 1}` : ''}`, (fns.get(`${name}  ${short}${url ? `:${lineNumber + 1}` : ''}`) ?? 0) + t);
    areas.set(area(url, name), (areas.get(area(url, name)) ?? 0) + t);
  }
  const pct = (t: number) => `${((t / busy) * 100).toFixed(1).padStart(5)} %`;
  const lines = [
    `${file}: ${(total / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s busy (${((busy / total) * 100).toFixed(0)} % of the main thread), shares below are of busy time`,
    '',
    'self time by area:',
    ...[...areas.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, t]) => `  ${pct(t)}  ${k}`),
    '',
    `top ${top} functions by self time:`,
    ...[...fns.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, t]) => `  ${pct(t)}  ${k}`),
  ];
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('profile.ts')) {
  const [file, top, skip] = process.argv.slice(2);
  if (!file) {
    console.error('usage: tsx bench/profile.ts <file.cpuprofile> [top=25] [skip-seconds=0]');
    process.exit(2);
  }
  console.log(summarise(file, Number(top ?? 25), Number(skip ?? 0)));
}
