/** `sip-parse` as a process (DESIGN.md section 5): JSON for a valid message, the server's status line for an invalid one. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(__dirname, '..', 'bin', 'sip-parse.js');
const FIX = join(__dirname, 'fixtures', 'rfc4475');

function sipParse(args: string[], input?: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = execFile(process.execPath, [BIN, ...args], (e, out, err) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
    );
    if (input !== undefined) p.stdin!.end(input);
  });
}

describe('sip-parse', () => {
  test('a valid request: exit 0, one JSON object with the method, the Request-URI and every header value', async () => {
    const r = await sipParse([join(FIX, 'transports.dat')]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const j = JSON.parse(r.out) as {
      method: string;
      uri: string;
      headers: { name: string; value: string }[];
    };
    expect(j.method).toBe('OPTIONS');
    expect(j.uri).toBe('sip:user@example.com');
    expect(j.headers.filter((h) => h.name === 'Via').map((h) => h.value)).toEqual([
      'SIP/2.0/UDP t1.example.com;branch=z9hG4bKkdjuw',
      'SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf',
      'SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj',
      'SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en',
      'SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee',
    ]);
  });

  test('from stdin; a multi-valued header line gives one value each', async () => {
    const msg =
      'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\n' +
      'Call-ID: x\r\nCSeq: 1 OPTIONS\r\nContact: <sip:c@d>, <sip:e@f>\r\nContent-Length: 0\r\n\r\n';
    const r = await sipParse([], msg);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { headers: { name: string; value: string }[] };
    expect(j.headers.filter((h) => h.name === 'Contact').map((h) => h.value)).toEqual([
      '<sip:c@d>',
      '<sip:e@f>',
    ]);
  });

  test.each([
    ['clerr.dat', /^400 Bad Request: Content-Length 9999 exceeds the \d+ octets of body\n$/],
    ['badvers.dat', /^505 Version Not Supported: /],
    ['unkscm.dat', /^416 Unsupported URI Scheme: /],
    [
      'bext01.dat',
      /^420 Bad Extension: unsupported option-tags: nothingSupportsThis, nothingSupportsThisEither\n$/,
    ],
  ])('%s: exit 1 and the status a server answers', async (file, line) => {
    const r = await sipParse([join(FIX, file)]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(line);
  });

  test('a missing file is a failure with one line; an unknown option is bad usage (2)', async () => {
    const missing = await sipParse([join(FIX, 'nope.dat')]);
    expect(missing.code).toBe(1);
    expect(missing.err.trim().split('\n')).toHaveLength(1);
    expect((await sipParse(['--bogus'])).code).toBe(2);
  });
});
