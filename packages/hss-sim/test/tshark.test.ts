/**
 * tshark (Wireshark 4.0) decodes a capture of an HSS run: every answer kind of the HSS, written through the
 * trace pcapng writer, with no malformed packet and no error. The IMPU-List AVP (vendor 32473) is unknown
 * to stock Wireshark, which says so with warnings; those are the only warnings allowed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  APPLICATION_CX,
  APPLICATION_SH,
  APPLICATION_ZH,
  buildUdr,
  buildZhMar,
  DiameterClient,
  VENDOR_3GPP,
} from '@ut-testbed/diameter-codec';
import { encodePcapng, MemorySink } from '@ut-testbed/trace';
import type { HssService } from '../src';
import { mar, startHss, USER1 } from './support';

const run = promisify(execFile);
const tshark = async (args: string[]) => (await run(process.env.UT_TESTBED_TSHARK ?? 'tshark', args)).stdout;

describe('a capture of an HSS run decodes in tshark', () => {
  let hss: HssService;
  let dir: string;
  const sink = new MemorySink();
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hss-tshark-'));
    hss = await startHss({ sink });
    const [host, port] = hss.endpoints.diameter.split(':');
    const ap = new DiameterClient({
      host: host!,
      port: Number(port),
      local: {
        originHost: 'ap.home1.net',
        originRealm: 'home1.net',
        applications: [APPLICATION_CX, APPLICATION_SH, APPLICATION_ZH].map((id) => ({
          vendorId: VENDOR_3GPP,
          authApplicationId: id,
        })),
      },
    });
    await ap.start();
    await ap.request(mar({ sipNumberAuthItems: 2 }));
    await ap.request(mar({ userName: 'nobody@home1.net' }));
    await ap.request(mar({ publicIdentity: 'sip:user2_public1@home1.net' }));
    await ap.request(mar({ scheme: 'SIP Digest' }));
    await ap.request(mar({ authorization: Buffer.alloc(30, 1) }));
    const base = { originHost: 'ap.home1.net', originRealm: 'home1.net', destinationRealm: 'home1.net' };
    await ap.request(
      buildUdr({
        ...base,
        sessionId: 'ap.home1.net;9;1',
        publicIdentity: USER1.impus[1]!,
        dataReferences: [33],
      }),
    );
    await ap.request(
      buildUdr({
        ...base,
        sessionId: 'ap.home1.net;9;2',
        publicIdentity: USER1.impus[0]!,
        dataReferences: [10],
        identitySets: [0],
      }),
    );
    await ap.request(
      buildZhMar({
        ...base,
        sessionId: 'ap.home1.net;9;3',
        userName: USER1.impi,
        item: { scheme: 'Digest-AKAv1-MD5' },
      }),
    );
    await ap.close();
  });
  afterAll(async () => {
    await hss.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every message is Diameter, nothing is malformed, the only warnings are the unknown IMPU-List vendor', async () => {
    const file = join(dir, 'hss.pcapng');
    writeFileSync(file, encodePcapng(sink.events));
    const port = hss.endpoints.diameter.split(':')[1]!;
    const decodeAs = ['-d', `tcp.port==${port},diameter`];
    const fields = await tshark([
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
      '-e',
      'diameter.applicationId',
    ]);
    const rows = fields.trim().split('\n');
    expect(rows.length).toBe(sink.events.length);
    const commands = rows.map((r) => r.split('\t').slice(0, 3).join('/'));
    expect(commands.filter((c) => c === '303/1/16777216')).toHaveLength(5); // 5 Cx MARs
    expect(commands.filter((c) => c === '303/0/16777216')).toHaveLength(5); // and their MAAs
    expect(commands.filter((c) => c.startsWith('306/0'))).toHaveLength(2); // UDAs
    expect(commands.filter((c) => c === '303/0/16777221')).toHaveLength(1); // Zh MAA
    expect(
      await tshark(['-r', file, ...decodeAs, '-Y', '_ws.malformed || _ws.expert.severity == error']),
    ).toBe('');
    const expert = await tshark(['-r', file, ...decodeAs, '-q', '-z', 'expert,warn']);
    const kinds = expert
      .split('\n')
      .map((l) => /^\s+\d+\s+\S+\s+Diameter\s+(.*)$/.exec(l)?.[1])
      .filter((m): m is string => m !== undefined);
    expect(new Set(kinds)).toEqual(
      new Set([
        'Unknown AVP 1 (vendor=Example Enterprise Number for Documentation Use), if you know what this is you can add it to dictionary.xml',
        'Unknown Vendor, if you know whose this is you can add it to dictionary.xml',
      ]),
    );
    const pi = await tshark([
      '-r',
      file,
      ...decodeAs,
      '-Y',
      'diameter.flags.request == 0 && diameter.cmd.code == 303',
      '-T',
      'fields',
      '-e',
      'diameter.Public-Identity',
    ]);
    expect(pi).toContain(USER1.impus[0]);
  });
});
