// Interop with the real tshark (Wireshark 4.0): the capture must decode as HTTP, SIP and Diameter with no
// malformed packets and no warning or error expert items. This test fails when tshark cannot be run.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PcapngWriter, type TraceEndpoint, type TraceEvent } from '../src';

const run = promisify(execFile);
const TSHARK = process.env.UT_TESTBED_TSHARK ?? 'tshark';

/** Runs tshark without a shell; stderr is ignored (tshark warns when run as root). */
async function tshark(args: string[]): Promise<string> {
  const { stdout } = await run(TSHARK, args, { maxBuffer: 64 * 1024 * 1024, timeout: 60000 });
  return stdout;
}

const CHECKSUMS = [
  '-o',
  'ip.check_checksum:TRUE',
  '-o',
  'tcp.check_checksum:TRUE',
  '-o',
  'udp.check_checksum:TRUE',
];
const DECODE_AS = ['-d', 'tcp.port==8443,http', '-d', 'tcp.port==8081,http'];
const PROBLEMS = '_ws.malformed || _ws.expert.severity == error || _ws.expert.severity == warning';

const ue: TraceEndpoint = { name: 'ue', host: '127.0.0.1', port: 50000 };
const ap: TraceEndpoint = { name: 'ap', host: '127.0.0.1', port: 8443 };
const apClient: TraceEndpoint = { name: 'ap', host: '127.0.0.1', port: 40001 };
const xcap: TraceEndpoint = { name: 'xcap', host: '127.0.0.1', port: 8081 };
const apDiameter: TraceEndpoint = { name: 'ap', host: '::1', port: 40002 };
const hss: TraceEndpoint = { name: 'hss', host: 'hss.home1.net', port: 3868 };
const ueSipUdp: TraceEndpoint = { name: 'ue', host: '127.0.0.1', port: 5062 };
const ueSipTcp: TraceEndpoint = { name: 'ue', host: '127.0.0.1', port: 50010 };
const ps: TraceEndpoint = { name: 'ps', host: '127.0.0.1', port: 5060 };

const LIST_URI = '/services/resource-lists/users/sip:user1_public1@home1.net/index';
const ENTRIES = Array.from(
  { length: 1200 },
  (_, i) => `    <entry uri="sip:buddy${i}@home1.net"><display-name>Buddy ${i}</display-name></entry>\n`,
).join('');
const LIST_DOC =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">\n' +
  `  <list name="friends">\n${ENTRIES}  </list>\n</resource-lists>\n`;

function httpRequest(method: string, uri: string, headers: string[], body = ''): Buffer {
  const lines = [`${method} ${uri} HTTP/1.1`, 'Host: xcap.home1.net', ...headers];
  if (body !== '' || method === 'PUT') lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

function httpResponse(status: string, headers: string[], body = ''): Buffer {
  const lines = [`HTTP/1.1 ${status}`, ...headers, `Content-Length: ${Buffer.byteLength(body)}`];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

function sipRequest(
  method: string,
  transport: 'UDP' | 'TCP',
  from: TraceEndpoint,
  body: string,
  type: string,
) {
  const lines = [
    `${method} sip:user1_public1@home1.net SIP/2.0`,
    `Via: SIP/2.0/${transport} ${from.host}:${from.port};branch=z9hG4bK${method.toLowerCase()}${transport}`,
    'Max-Forwards: 70',
    `From: <sip:user1_public1@home1.net>;tag=${transport.toLowerCase()}1`,
    'To: <sip:user1_public1@home1.net>',
    `Call-ID: ${method.toLowerCase()}-${transport.toLowerCase()}@127.0.0.1`,
    `CSeq: 1 ${method}`,
    ...(method === 'PUBLISH' ? ['Event: presence', 'Expires: 3600'] : []),
    `Content-Type: ${type}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

function sipOk(request: Buffer): Buffer {
  const head = request.toString().split('\r\n');
  const keep = head.filter((l) => /^(Via|From|To|Call-ID|CSeq):/.test(l));
  return Buffer.from(['SIP/2.0 200 OK', ...keep, 'Content-Length: 0', '', ''].join('\r\n'));
}

function avp(code: number, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(code, 0);
  header.writeUInt32BE(0x40000000 | (8 + data.length), 4); // M bit, 24-bit length
  return Buffer.concat([header, data, Buffer.alloc((4 - (data.length % 4)) % 4)]);
}

function diameter(request: boolean, command: number, avps: Buffer[]): Buffer {
  const body = Buffer.concat(avps);
  const header = Buffer.alloc(20);
  header.writeUInt32BE((1 << 24) | (20 + body.length), 0);
  header.writeUInt32BE((((request ? 0x80 : 0) << 24) | command) >>> 0, 4);
  header.writeUInt32BE(0, 8); // application 0 (base)
  header.writeUInt32BE(0x1234, 12);
  header.writeUInt32BE(0x5678, 16);
  return Buffer.concat([header, body]);
}

const u32 = (value: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value, 0);
  return b;
};

const PIDF =
  '<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" ' +
  'entity="sip:user1_public1@home1.net"><tuple id="t1"><status><basic>open</basic></status></tuple></presence>\n';

const put = httpRequest('PUT', LIST_URI, ['Content-Type: application/resource-lists+xml'], LIST_DOC);
const forwarded = httpRequest(
  'PUT',
  LIST_URI,
  ['Content-Type: application/resource-lists+xml', 'X-3GPP-Asserted-Identity: "sip:user1_public1@home1.net"'],
  LIST_DOC,
);
const created = httpResponse('201 Created', ['ETag: "e1"']);
const get = httpRequest('GET', LIST_URI, []);
const ok = httpResponse('200 OK', ['Content-Type: application/resource-lists+xml', 'ETag: "e1"'], LIST_DOC);
const message = sipRequest('MESSAGE', 'UDP', ueSipUdp, 'hello over udp', 'text/plain');
const publish = sipRequest('PUBLISH', 'TCP', ueSipTcp, PIDF, 'application/pidf+xml');
const dwr = diameter(true, 280, [avp(264, Buffer.from('ap.home1.net')), avp(296, Buffer.from('home1.net'))]);
const dwa = diameter(false, 280, [
  avp(268, u32(2001)),
  avp(264, Buffer.from('hss.home1.net')),
  avp(296, Buffer.from('home1.net')),
]);

const T = 1700000000000;
function ev(
  ms: number,
  iface: TraceEvent['iface'],
  proto: TraceEvent['proto'],
  transport: TraceEvent['transport'],
  from: TraceEndpoint,
  to: TraceEndpoint,
  bytes: Buffer,
  summary: string,
): TraceEvent {
  return { ts: T + ms, iface, proto, transport, from, to, bytes, summary };
}

const EVENTS: TraceEvent[] = [
  ev(0, 'Ut', 'http', 'tls', ue, ap, put, 'PUT resource-lists index'),
  ev(1.25, 'Cx', 'diameter', 'tcp', apDiameter, hss, dwr, 'DWR'),
  ev(2.5, 'Cx', 'diameter', 'tcp', hss, apDiameter, dwa, 'DWA 2001'),
  ev(3, 'AS', 'http', 'tcp', apClient, xcap, forwarded, 'PUT resource-lists index (asserted)'),
  ev(4, 'AS', 'http', 'tcp', xcap, apClient, created, '201 Created'),
  ev(5, 'Ut', 'http', 'tls', ap, ue, created, '201 Created'),
  ev(6, 'Ut', 'http', 'tls', ue, ap, get, 'GET resource-lists index'),
  ev(7, 'Ut', 'http', 'tls', ap, ue, ok, '200 OK'),
  ev(8, 'Gm', 'sip', 'udp', ueSipUdp, ps, message, 'MESSAGE over UDP'),
  ev(9, 'Gm', 'sip', 'udp', ps, ueSipUdp, sipOk(message), '200 MESSAGE'),
  ev(10, 'Gm', 'sip', 'tcp', ueSipTcp, ps, publish, 'PUBLISH presence'),
  ev(11, 'Gm', 'sip', 'tcp', ps, ueSipTcp, sipOk(publish), '200 PUBLISH'),
];

const FIELDS = [
  'frame.number',
  'frame.protocols',
  'tcp.dstport',
  'http.request.method',
  'http.request.uri',
  'http.response.code',
  'http.content_length_header',
  'tcp.segment.count',
  'tcp.reassembled.length',
  'sip.Method',
  'sip.Status-Code',
  'sip.CSeq.method',
  'diameter.cmd.code',
  'diameter.flags.request',
  'diameter.Result-Code',
  'frame.comment',
] as const;
type Row = Record<(typeof FIELDS)[number], string>;

function parseRows(stdout: string): Row[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const values = line.split('\t');
      return Object.fromEntries(FIELDS.map((field, i) => [field, values[i] ?? ''])) as Row;
    });
}

describe('tshark decodes the capture', () => {
  let dir: string;
  let file: string;
  let rows: Row[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trace-tshark-'));
    file = join(dir, 'trace.pcapng');
    const writer = new PcapngWriter(file);
    for (const event of EVENTS) writer.record(event);
    await writer.close();
    const fieldArgs = FIELDS.flatMap((f) => ['-e', f]);
    rows = parseRows(await tshark(['-r', file, ...CHECKSUMS, ...DECODE_AS, '-T', 'fields', ...fieldArgs]));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs tshark 4', async () => {
    expect(await tshark(['--version'])).toMatch(/^TShark \(Wireshark\) 4\.\d+/);
  });

  it('reassembles the large PUT over TLS-port 8443 into one HTTP request', () => {
    const puts = rows.filter((r) => r['http.request.method'] === 'PUT' && r['http.request.uri'] === LIST_URI);
    expect(puts.map((r) => r['tcp.dstport'])).toEqual(['8443', '8081']);
    const onAp = puts[0];
    expect(onAp).toBeDefined();
    expect(onAp?.['http.content_length_header']).toBe(String(Buffer.byteLength(LIST_DOC)));
    expect(Number(onAp?.['tcp.segment.count'])).toBe(Math.ceil(put.length / 1460));
    expect(Number(onAp?.['tcp.reassembled.length'])).toBe(put.length);
    expect(onAp?.['frame.protocols']).toMatch(/:http:xml$/);
  });

  it('decodes both PUTs, the GET and every response with their method and status', () => {
    const http = rows.filter((r) => r['frame.protocols'].includes(':http'));
    expect(http.map((r) => r['http.request.method'] || r['http.response.code'])).toEqual([
      'PUT',
      'PUT',
      '201',
      '201',
      'GET',
      '200',
    ]);
    const okRow = http[5]!;
    expect(Number(okRow['tcp.reassembled.length'])).toBe(ok.length);
    expect(Number(okRow['tcp.segment.count'])).toBeGreaterThan(1);
  });

  it('decodes the SIP MESSAGE over UDP 5060 and the PUBLISH over TCP 5060 with their answers', () => {
    const sip = rows.filter((r) => r['frame.protocols'].includes(':sip'));
    expect(
      sip.map((r) => [
        r['frame.protocols'].split(':').slice(1, 4).join(':'),
        r['sip.Method'],
        r['sip.Status-Code'],
      ]),
    ).toEqual([
      ['ip:udp:sip', 'MESSAGE', ''],
      ['ip:udp:sip', '', '200'],
      ['ip:tcp:sip', 'PUBLISH', ''],
      ['ip:tcp:sip', '', '200'],
    ]);
    expect(sip.map((r) => r['sip.CSeq.method'])).toEqual(['MESSAGE', 'MESSAGE', 'PUBLISH', 'PUBLISH']);
  });

  it('decodes Diameter on 3868 between mapped hosts', () => {
    const dia = rows.filter((r) => r['frame.protocols'].endsWith(':diameter'));
    expect(
      dia.map((r) => [r['diameter.cmd.code'], r['diameter.flags.request'], r['diameter.Result-Code']]),
    ).toEqual([
      ['280', '1', ''],
      ['280', '0', '2001'],
    ]);
  });

  it('shows each summary as the comment of its first frame', () => {
    const comments = rows.map((r) => r['frame.comment']);
    for (const event of EVENTS) {
      expect(comments.some((c) => c.startsWith(`${event.summary},`))).toBe(true);
    }
  });

  it('reports no malformed packets and no warning or error expert items', async () => {
    expect(await tshark(['-r', file, ...CHECKSUMS, ...DECODE_AS, '-Y', PROBLEMS])).toBe('');
    const expert = await tshark(['-r', file, ...CHECKSUMS, ...DECODE_AS, '-q', '-z', 'expert,warn']);
    expect(expert).not.toMatch(/Errors \(|Warns \(|Malformed/);
  });

  it('would report a damaged packet (the check above can fail)', async () => {
    const damaged = Buffer.from(await readFile(file));
    const at = damaged.indexOf(Buffer.from('PUBLISH sip:'));
    expect(at).toBeGreaterThan(0);
    damaged.writeUInt8(damaged.readUInt8(at + 3) ^ 0x01, at + 3); // the TCP checksum no longer matches
    const path = join(dir, 'damaged.pcapng');
    await writeFile(path, damaged);
    expect(await tshark(['-r', path, ...CHECKSUMS, ...DECODE_AS, '-Y', PROBLEMS])).not.toBe('');
    expect(await tshark(['-r', path, ...CHECKSUMS, ...DECODE_AS, '-q', '-z', 'expert,warn'])).toMatch(
      /Errors \(/,
    );
  });
});
