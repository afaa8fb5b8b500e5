// What the encoder writes, framed as trace events by @ut-testbed/trace's pcapng writer, decoded by the real
// tshark (Wireshark 4.0). Fails when tshark cannot be run.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodePcapng, type TraceEndpoint, type TraceEvent } from '@ut-testbed/trace';
import {
  buildCea,
  buildCer,
  buildCxMaa,
  buildCxMar,
  buildDwa,
  buildDwr,
  encodeMessage,
  summarize,
  type DiameterMessage,
} from '../src';
import { TSHARK, tsharkWithDictionary } from '../src/interop/tshark';
import { MAR_INPUT } from './vectors';

const run = promisify(execFile);
const tshark = async (args: string[]) =>
  (await run(TSHARK, args, { maxBuffer: 64 * 1024 * 1024, timeout: 60000 })).stdout;

const ap: TraceEndpoint = { name: 'ap', host: '127.0.0.1', port: 40002 };
const hss: TraceEndpoint = { name: 'hss', host: '127.0.0.2', port: 3868 };
const peer = { originHost: 'ap.home1.net', originRealm: 'home1.net' };
const hssPeer = { originHost: 'hss.home1.net', originRealm: 'home1.net' };
const caps = {
  hostIpAddresses: ['127.0.0.1', '::1'],
  vendorId: 0,
  productName: 'ut-testbed',
  originStateId: 1,
  supportedVendorIds: [10415],
  vendorSpecificApplicationIds: [{ vendorId: 10415, authApplicationId: 16777216 }],
};

const cer = buildCer({ ...peer, ...caps, hopByHop: 1, endToEnd: 1 });
const cea = buildCea(cer, { ...hssPeer, ...caps, resultCode: 2001 });
const dwr = buildDwr({ ...peer, hopByHop: 2, endToEnd: 2 });
const dwa = buildDwa(dwr, { ...hssPeer, resultCode: 2001 });
const mar = buildCxMar({ ...MAR_INPUT, hopByHop: 3, endToEnd: 3, sipNumberAuthItems: 1 });
const maa = buildCxMaa(mar, {
  sessionId: MAR_INPUT.sessionId,
  ...hssPeer,
  resultCode: 2001,
  userName: MAR_INPUT.userName,
  publicIdentity: MAR_INPUT.publicIdentity,
  sipNumberAuthItems: 1,
  items: [
    {
      itemNumber: 1,
      scheme: 'Digest-AKAv1-MD5',
      authenticate: Buffer.alloc(32, 0x11),
      authorization: Buffer.alloc(8, 0x22),
      confidentialityKey: Buffer.alloc(16, 0x33),
      integrityKey: Buffer.alloc(16, 0x44),
    },
  ],
  impuList: ['sip:user1_public1@home1.net', 'tel:+15551234'],
});
const maaError = buildCxMaa(mar, {
  sessionId: MAR_INPUT.sessionId,
  ...hssPeer,
  experimentalResult: { vendorId: 10415, code: 5001 },
  userName: MAR_INPUT.userName,
  publicIdentity: MAR_INPUT.publicIdentity,
});

const MESSAGES: [DiameterMessage, boolean][] = [
  [cer, true],
  [cea, false],
  [dwr, true],
  [dwa, false],
  [mar, true],
  [maa, false],
  [maaError, false],
];
const EVENTS: TraceEvent[] = MESSAGES.map(([m, fromAp], i) => ({
  ts: 1700000000000 + i,
  iface: 'Cx',
  proto: 'diameter',
  transport: 'tcp',
  from: fromAp ? ap : hss,
  to: fromAp ? hss : ap,
  bytes: encodeMessage(m),
  summary: summarize(m),
}));

const FIELDS = [
  'diameter.cmd.code',
  'diameter.flags.request',
  'diameter.Session-Id',
  'diameter.Result-Code',
  'diameter.Experimental-Result-Code',
  'diameter.Public-Identity',
  'diameter.User-Name',
  'diameter.3GPP-SIP-Number-Auth-Items',
  'diameter.3GPP-SIP-Authentication-Scheme',
  'diameter.3GPP-SIP-Authenticate',
  'diameter.Confidentiality-Key',
  'diameter.Integrity-Key',
  'diameter.Host-IP-Address.IPv4',
  'diameter.Host-IP-Address.IPv6',
  'diameter.Origin-Host',
  'diameter.avp.vendorId',
] as const;

describe('tshark decodes the encoder output', () => {
  let dir: string;
  let file: string;
  let rows: Record<string, string>[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'diameter-tshark-'));
    file = join(dir, 'cx.pcapng');
    await writeFile(file, encodePcapng(EVENTS));
    const out = await tshark([
      '-r',
      file,
      '-Y',
      'diameter',
      '-T',
      'fields',
      '-E',
      'aggregator=|',
      ...FIELDS.flatMap((f) => ['-e', f]),
    ]);
    rows = out
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => Object.fromEntries(l.split('\t').map((v, i) => [FIELDS[i]!, v])));
  });

  afterAll(async () => {
    if (!process.env.KEEP_PCAP) await rm(dir, { recursive: true, force: true });
  });

  it('shows each command, request flag and result, with the AVPs named as Wireshark names them', () => {
    expect(rows.map((r) => [r['diameter.cmd.code'], r['diameter.flags.request']])).toEqual([
      ['257', '1'],
      ['257', '0'],
      ['280', '1'],
      ['280', '0'],
      ['303', '1'],
      ['303', '0'],
      ['303', '0'],
    ]);
    expect(rows.map((r) => r['diameter.Result-Code'])).toEqual(['', '2001', '', '2001', '', '2001', '']);
    expect(rows[6]!['diameter.Experimental-Result-Code']).toBe('5001');
    expect(rows[0]!['diameter.Host-IP-Address.IPv4']).toBe('127.0.0.1');
    expect(rows[0]!['diameter.Host-IP-Address.IPv6']).toBe('::1');
    const marRow = rows[4]!;
    expect(marRow['diameter.Session-Id']).toBe('ap.home1.net;1;2');
    expect(marRow['diameter.Public-Identity']).toBe('sip:user1_public1@home1.net');
    expect(marRow['diameter.User-Name']).toBe('user1_private@home1.net');
    expect(marRow['diameter.3GPP-SIP-Number-Auth-Items']).toBe('1');
    expect(marRow['diameter.3GPP-SIP-Authentication-Scheme']).toBe('Digest-AKAv1-MD5');
    const maaRow = rows[5]!;
    expect(maaRow['diameter.3GPP-SIP-Authenticate']).toBe('11'.repeat(32));
    expect(maaRow['diameter.Confidentiality-Key']).toBe('33'.repeat(16));
    expect(maaRow['diameter.Integrity-Key']).toBe('44'.repeat(16));
    // the IMPU-List AVPs are there, under their vendor 32473
    expect(maaRow['diameter.avp.vendorId']!.split('|').filter((v) => v === '32473')).toHaveLength(2);
  });

  it('reports no malformed packet and no error expert item', async () => {
    expect(await tshark(['-r', file, '-Y', '_ws.malformed || _ws.expert.severity == error'])).toBe('');
  });

  it('warns only about the IMPU-List AVPs, whose vendor stock Wireshark does not know (excluded exactly)', async () => {
    const expert = await tshark(['-r', file, '-q', '-z', 'expert,warn']);
    expect(expert).not.toMatch(/Errors \(|Malformed/);
    const warns = expert
      .split('\n')
      .map((l) => /^\s+(\d+)\s+\S+\s+Diameter\s+(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]);
    // two IMPU-List AVPs in the MAA, each with these two "Undecoded" warnings: nothing else
    expect(warns).toEqual([
      [
        '2',
        'Unknown AVP 1 (vendor=Example Enterprise Number for Documentation Use), if you know what this is you can add it to dictionary.xml',
      ],
      ['2', 'Unknown Vendor, if you know whose this is you can add it to dictionary.xml'],
    ]);
    expect(expert).toMatch(/Warns \(4\)/);
  });

  it('with wireshark/ut-testbed.xml added, names IMPU-List and has no warning at all', async () => {
    const go = tsharkWithDictionary(dir);
    const names = go([
      '-r',
      file,
      '-Y',
      'diameter.cmd.code == 303 && diameter.flags.request == 0',
      '-T',
      'fields',
      '-E',
      'aggregator=|',
      '-e',
      'diameter.IMPU-List',
    ]);
    expect(names.split('\n')[0]).toBe('sip:user1_public1@home1.net|tel:+15551234');
    expect(go(['-r', file, '-q', '-z', 'expert,warn'])).not.toMatch(/Warns \(|Errors \(/);
  });
});
