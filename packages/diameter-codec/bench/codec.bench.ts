/**
 * Decodes and encodes of a Cx MAR and a successful MAA per second on one core (`npm run bench` pins it
 * with taskset). Target: at least 200,000 decodes/s. BENCH_SECONDS sets the time per measurement (default 3).
 */
import {
  buildCxMaa,
  buildCxMar,
  checkGrammar,
  decodeMessage,
  encodeMessage,
  readCxMaa,
  type DiameterMessage,
} from '../src';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const TARGET = 200_000;

const mar = buildCxMar({
  sessionId: 'ap.home1.net;1700000000;1',
  originHost: 'ap.home1.net',
  originRealm: 'home1.net',
  destinationRealm: 'home1.net',
  userName: 'user1_private@home1.net',
  publicIdentity: 'sip:user1_public1@home1.net',
  serverName: 'sip:ap.home1.net',
  hopByHop: 1,
  endToEnd: 2,
});
const maa = buildCxMaa(mar, {
  sessionId: 'ap.home1.net;1700000000;1',
  originHost: 'hss.home1.net',
  originRealm: 'home1.net',
  resultCode: 2001,
  userName: 'user1_private@home1.net',
  publicIdentity: 'sip:user1_public1@home1.net',
  sipNumberAuthItems: 1,
  items: [
    {
      itemNumber: 1,
      scheme: 'Digest-AKAv1-MD5',
      authenticate: Buffer.alloc(32, 1),
      authorization: Buffer.alloc(8, 2),
      confidentialityKey: Buffer.alloc(16, 3),
      integrityKey: Buffer.alloc(16, 4),
    },
  ],
  impuList: ['sip:user1_public1@home1.net', 'tel:+15551234'],
});
const marBytes = encodeMessage(mar);
const maaBytes = encodeMessage(maa);
const marDecoded = decodeMessage(marBytes).message as DiameterMessage;
const maaDecoded = decodeMessage(maaBytes).message as DiameterMessage;

let sink = 0;
function measure(
  name: string,
  bytes: number,
  fn: () => number,
): { name: string; bytes: number; per_s: number } {
  for (let i = 0; i < 100_000; i++) sink += fn(); // warm-up
  let n = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < SECONDS) {
    for (let i = 0; i < 1000; i++) sink += fn();
    n += 1000;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  return { name, bytes, per_s: Math.round(n / elapsed) };
}

process.stderr.write(`measuring for ${SECONDS} s each...\n`);
const results = [
  measure('decode MAR', marBytes.length, () => decodeMessage(marBytes).message!.avps.length),
  measure('decode MAA', maaBytes.length, () => decodeMessage(maaBytes).message!.avps.length),
  measure('encode MAR', marBytes.length, () => encodeMessage(marDecoded).length),
  measure('encode MAA', maaBytes.length, () => encodeMessage(maaDecoded).length),
  measure('decode + grammar check MAR', marBytes.length, () =>
    checkGrammar(decodeMessage(marBytes).message!) ? 0 : 1,
  ),
  measure(
    'decode + readCxMaa MAA',
    maaBytes.length,
    () => readCxMaa(decodeMessage(maaBytes).message!).items.length,
  ),
];
const width = Math.max(...results.map((r) => r.name.length));
for (const r of results) {
  process.stdout.write(
    `${r.name.padEnd(width)}  ${String(r.bytes).padStart(4)} B  ${r.per_s.toLocaleString('en-US').padStart(11)} /s\n`,
  );
}
const decodes = Math.min(results[0]!.per_s, results[1]!.per_s);
process.stdout.write(
  JSON.stringify({
    benchmark: 'diameter-codec MAR/MAA',
    seconds: SECONDS,
    node: process.version,
    target_decodes_per_s: TARGET,
    meets_target: decodes >= TARGET,
    results,
  }) + '\n',
);
if (sink === -1) process.stdout.write('');
