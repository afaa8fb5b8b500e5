/**
 * tshark (Wireshark 4.0) decodes what the AP records of a section 3 exchange: HTTP on Ut (the cleartext
 * inside TLS) and towards the XCAP server, Diameter on Cx, with no malformed packet and no error.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTracer, encodePcapng, MemorySink } from '@ut-testbed/trace';
import { EMPTY_LIST, listDoc, network, USER1, type Network } from './support/network';
import { TestUe } from './support/ue';

const run = promisify(execFile);
const tshark = async (args: string[]) => (await run(process.env.UT_TESTBED_TSHARK ?? 'tshark', args)).stdout;

describe('a capture of the AP decodes in tshark', () => {
  let net: Network;
  const sink = new MemorySink();
  beforeAll(async () => {
    net = await network();
    const ap = await net.startAp({ tracer: createTracer({ sinks: [sink] }) });
    const ue = new TestUe({
      ap: ap.endpoints.https,
      ca: ap.certificate,
      impi: USER1.impi,
      k: USER1.k,
      opc: USER1.opc!,
    });
    const r = await ue.call('PUT', listDoc(USER1.impus[0]!, 'pcap'), {
      body: EMPTY_LIST,
      type: 'application/resource-lists+xml',
    });
    ue.close();
    expect(r.final.status).toBe(201);
  });
  afterAll(() => net.close());

  it('Ut and AS as HTTP with the Digest and identity headers, Cx as Diameter, nothing malformed', async () => {
    const file = join(net.dir, 'ap.pcapng');
    writeFileSync(file, encodePcapng(sink.events));
    const ports = new Set(sink.events.flatMap((e) => [e.from.port, e.to.port]));
    const hssPort = net.hss.endpoints.diameter.split(':')[1]!;
    const decodeAs = [...ports].flatMap((p) =>
      String(p) === hssPort ? ['-d', `tcp.port==${p},diameter`] : ['-d', `tcp.port==${p},http`],
    );
    expect(
      await tshark(['-r', file, ...decodeAs, '-Y', '_ws.malformed || _ws.expert.severity == error']),
    ).toBe('');
    const http = await tshark([
      '-r',
      file,
      ...decodeAs,
      '-Y',
      'http',
      '-T',
      'fields',
      '-E',
      'separator=|',
      '-e',
      'http.request.method',
      '-e',
      'http.response.code',
      '-e',
      'http.authorization',
      '-e',
      'http.www_authenticate',
    ]);
    const rows = http
      .trim()
      .split('\n')
      .map((l) => l.split('|'));
    // Ut: PUT, 401 with the challenge, PUT with credentials, 201; AS: the forwarded PUT and its 201
    expect(rows.map((r) => r[0] || r[1])).toEqual(['PUT', '401', 'PUT', 'PUT', '201', '201']);
    expect(rows[1]![3]).toMatch(
      /^Digest realm="home1\.net", nonce="[A-Za-z0-9+/=]{44}", algorithm=AKAv2-MD5/,
    );
    expect(rows[2]![2]).toMatch(/^Digest username="user1_private@home1\.net"/);
    expect(rows[3]![2]).toBe(''); // no Authorization towards the XCAP server
    const asserted = await tshark([
      '-r',
      file,
      ...decodeAs,
      '-Y',
      'http.request',
      '-T',
      'fields',
      '-e',
      'http.request.line',
    ]);
    expect(asserted).toMatch(/X-3GPP-Asserted-Identity: "sip:user1_public1@home1\.net"/);
    const diameter = await tshark([
      '-r',
      file,
      ...decodeAs,
      '-Y',
      'diameter',
      '-T',
      'fields',
      '-e',
      'diameter.cmd.code',
      '-e',
      'diameter.flags.request',
    ]);
    // CER/CEA, then UDR/UDA (the IMPI of the public identity) and MAR/MAA
    expect(
      diameter
        .trim()
        .split('\n')
        .map((l) => l.replace('\t', '/')),
    ).toEqual(expect.arrayContaining(['306/1', '306/0', '303/1', '303/0']));
  });
});
