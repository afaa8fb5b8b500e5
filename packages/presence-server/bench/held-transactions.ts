/**
 * Heap that one answered PUBLISH keeps on the server while its transaction waits out Timer J (32 s on UDP):
 * a presence server in this process, N modifies of one publication sent one after another over UDP by a
 * client in a child process (so that the client's own transactions are not in this heap), and the heap
 * used after a full collection before and after. One publication exists throughout, so the difference is
 * the completed transactions. Run with `node --expose-gc`:
 *
 *   cd packages/presence-server && BENCH_N=20000 npx tsx --expose-gc bench/held-transactions.ts
 *
 * Prints one JSON line: { n, heap_before_mb, heap_after_mb, bytes_per_transaction }.
 */
import { execFile } from 'node:child_process';
import { createEndpoint, createRequest, type SipMessage } from '@ut-testbed/sip-core';
import pino from 'pino';
import { start } from '../src';

const N = Number(process.env.BENCH_N ?? 20000);
const USER = 'sip:user1_public1@home1.net';
const gc = (globalThis as { gc?: () => void }).gc;

function publish(etag: string | undefined, basic: string): SipMessage {
  return createRequest({
    method: 'PUBLISH',
    uri: USER,
    from: `<${USER}>`,
    to: `<${USER}>`,
    headers: [
      ['P-Asserted-Identity', `<${USER}>`],
      ['Event', 'presence'],
      ['Expires', '3600'],
      ...(etag ? ([['SIP-If-Match', etag]] as [string, string][]) : []),
      ['Content-Type', 'application/pidf+xml'],
    ],
    body:
      `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${USER}">` +
      `<tuple id="t"><status><basic>${basic}</basic></status></tuple></presence>\n`,
  });
}

/** The client: node runs this file again with `client PORT N ETAG`. */
async function client(port: number, n: number, first: string): Promise<void> {
  const ep = await createEndpoint({
    transports: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    allow: [],
    onRequest: () => undefined,
  });
  let etag = first;
  for (let i = 1; i <= n; i++) {
    const r = await ep.request(publish(etag, i % 2 ? 'open' : 'closed'), {
      protocol: 'udp',
      host: '127.0.0.1',
      port,
    });
    if (r.status !== 200) throw new Error(`PUBLISH ${i}: ${r.status}`);
    etag = r.get('SIP-ETag')!;
  }
  await ep.close();
}

function heapMb(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed / 1e6;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'client') {
    await client(Number(process.argv[3]), Number(process.argv[4]), process.argv[5]!);
    return;
  }
  if (!gc) throw new Error('run with --expose-gc (npx tsx --expose-gc bench/held-transactions.ts)');
  const ps = await start({
    realm: 'home1.net',
    logger: pino({ level: 'silent' }),
    presence: {
      listen: { host: '127.0.0.1', port: 0, transports: ['udp'] },
      domain: 'home1.net',
      // nothing is subscribed: no rules are read
      xcapRoot: 'http://127.0.0.1:9/services',
      xcapAliases: [],
      trustedPeers: ['127.0.0.1'],
      trustFrom: false,
    },
  });
  const port = Number(ps.endpoints.udp!.split(':')[1]);
  const ep = await createEndpoint({
    transports: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    allow: [],
    onRequest: () => undefined,
  });
  const first = (
    await ep.request(publish(undefined, 'open'), { protocol: 'udp', host: '127.0.0.1', port })
  ).get('SIP-ETag')!;
  await ep.close();
  const before = heapMb();
  await new Promise<void>((resolve, reject) =>
    execFile(
      process.execPath,
      [
        ...process.execArgv.filter((a) => a !== '--expose-gc'),
        __filename,
        'client',
        String(port),
        String(N),
        first,
      ],
      (e) => (e ? reject(e) : resolve()),
    ),
  );
  const after = heapMb();
  process.stdout.write(
    JSON.stringify({
      n: N,
      heap_before_mb: +before.toFixed(1),
      heap_after_mb: +after.toFixed(1),
      bytes_per_transaction: Math.round(((after - before) * 1e6) / N),
    }) + '\n',
  );
  await ps.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`held-transactions: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
