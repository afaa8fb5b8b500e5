/**
 * SIP messages parsed (and validated) per second and serialised per second, on one core (the script runs
 * pinned by `npm run bench`): typical presence traffic (SUBSCRIBE, NOTIFY with a PIDF body, PUBLISH, 200 OK)
 * and the RFC 4475 wsinv torture message. Target: 100,000 parses/s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMessage, type SipMessage } from '../src';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

const SUBSCRIBE =
  'SUBSCRIBE sip:user2_public1@home1.net SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-524287-1---abcdef0123456789;rport\r\n' +
  'Max-Forwards: 70\r\n' +
  'Contact: <sip:user1_public1@127.0.0.1:5070;transport=udp>\r\n' +
  'To: <sip:user2_public1@home1.net>\r\n' +
  'From: "User One" <sip:user1_public1@home1.net>;tag=4fa3c12b\r\n' +
  'Call-ID: 7f2d1e3c-9a8b-4c5d-8e7f-0a1b2c3d4e5f@127.0.0.1\r\n' +
  'CSeq: 1 SUBSCRIBE\r\n' +
  'Event: presence\r\n' +
  'Accept: application/pidf+xml, application/rlmi+xml, multipart/related\r\n' +
  'Supported: eventlist\r\n' +
  'Expires: 3600\r\n' +
  'P-Asserted-Identity: <sip:user1_public1@home1.net>\r\n' +
  'Content-Length: 0\r\n\r\n';
const PIDF =
  '<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:user2_public1@home1.net">\n' +
  '  <tuple id="t1"><status><basic>open</basic></status><contact>sip:user2_public1@127.0.0.1</contact></tuple>\n</presence>\n';
const NOTIFY =
  'NOTIFY sip:user1_public1@127.0.0.1:5070;transport=udp SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-ps-1\r\n' +
  'Max-Forwards: 70\r\n' +
  'To: "User One" <sip:user1_public1@home1.net>;tag=4fa3c12b\r\n' +
  'From: <sip:user2_public1@home1.net>;tag=ps-88a1\r\n' +
  'Call-ID: 7f2d1e3c-9a8b-4c5d-8e7f-0a1b2c3d4e5f@127.0.0.1\r\n' +
  'CSeq: 2 NOTIFY\r\n' +
  'Contact: <sip:ps.home1.net:5060>\r\n' +
  'Event: presence\r\n' +
  'Subscription-State: active;expires=3599\r\n' +
  'Content-Type: application/pidf+xml\r\n' +
  `Content-Length: ${Buffer.byteLength(PIDF)}\r\n\r\n` +
  PIDF;
const OK =
  'SIP/2.0 200 OK\r\n' +
  'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-524287-1---abcdef0123456789;rport=5070;received=127.0.0.1\r\n' +
  'To: <sip:user2_public1@home1.net>;tag=ps-88a1\r\n' +
  'From: "User One" <sip:user1_public1@home1.net>;tag=4fa3c12b\r\n' +
  'Call-ID: 7f2d1e3c-9a8b-4c5d-8e7f-0a1b2c3d4e5f@127.0.0.1\r\n' +
  'CSeq: 1 SUBSCRIBE\r\n' +
  'Expires: 3600\r\n' +
  'Contact: <sip:ps.home1.net:5060>\r\n' +
  'Content-Length: 0\r\n\r\n';

const messages: [string, Buffer][] = [
  ['SUBSCRIBE', Buffer.from(SUBSCRIBE)],
  ['NOTIFY with PIDF', Buffer.from(NOTIFY)],
  ['200 OK', Buffer.from(OK)],
  ['RFC 4475 wsinv', readFileSync(join(__dirname, '..', 'test', 'fixtures', 'rfc4475', 'wsinv.dat'))],
];

function rate(op: () => void): number {
  for (let i = 0; i < 20_000; i++) op();
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) op();
    n += 1000;
  }
  return Math.round(n / ((performance.now() - t0) / 1000));
}

const results = messages.map(([name, bytes]) => {
  const r = parseMessage(bytes);
  if (!r.ok) throw new Error(`${name}: ${r.phrase}`);
  const m: SipMessage = r.message;
  m.set('Max-Forwards', '69'); // one field changed, as a proxy or a transaction layer does
  return {
    name,
    bytes: bytes.length,
    parses_per_s: rate(() => parseMessage(bytes)),
    serialises_per_s: rate(() => m.toBuffer()),
  };
});
for (const r of results) {
  process.stdout.write(
    `${r.name.padEnd(20)} ${String(r.bytes).padStart(5)} B  parse ${r.parses_per_s.toLocaleString('en-US').padStart(9)}/s  serialise ${r.serialises_per_s.toLocaleString('en-US').padStart(9)}/s\n`,
  );
}
process.stdout.write(JSON.stringify({ benchmark: 'sip-core', seconds: SECONDS, results }) + '\n');
