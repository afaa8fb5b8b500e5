/**
 * The functions with the most self time in a V8 CPU profile (`node --cpu-prof`, e.g. of the presence server
 * during a PUBLISH step: BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=DIR'), as a share of the busy time (the
 * profile's time minus "(idle)"). Also each of the presence server's and sip-core's source files by self
 * time, so that the cost of a layer shows even when it is spread over many small functions.
 *
 *   npx tsx bench/profile-top.ts DIR/publish-4000.cpuprofile [N=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, n = '25'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: profile-top.ts <file.cpuprofile> [N]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

/** `node_modules/@ut-testbed/sip-core/dist/transport/udp.js` → `sip-core/transport/udp.js`; node: as is */
const short = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/.*\/(?:packages|node_modules\/@ut-testbed)\/([^/]+)\/dist\//, '$1/')
    .replace(/.*\/node_modules\//, '');

const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
let idle = 0;
for (const [id, us] of self) {
  const f = byId.get(id)!.callFrame;
  total += us;
  if (f.functionName === '(idle)') {
    idle += us;
    continue;
  }
  const where = f.url ? ` ${short(f.url)}:${f.lineNumber + 1}` : '';
  const key = `${f.functionName || '(anonymous)'}${where}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const fileKey = f.url ? short(f.url) : f.functionName;
  byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
}
const busy = total - idle;
const top = (m: Map<string, number>, k: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(
      ([name, us]) =>
        `${((us / busy) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`,
    )
    .join('\n');
process.stdout.write(
  `${file}: ${(total / 1e6).toFixed(2)} s profiled, ${(busy / 1e6).toFixed(2)} s busy\n\n` +
    `self time by function (share of busy time):\n${top(byFunction, Number(n))}\n\n` +
    `self time by file:\n${top(byFile, 15)}\n`,
);
