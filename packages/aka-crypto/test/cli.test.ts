import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sets } from './vectors';

const run = promisify(execFile);
const CLI = join(__dirname, '..', 'bin', 'aka.js');

async function aka(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('the aka command (bin/aka.js over the built dist/, run as a process)', () => {
  it.each(sets)('milenage prints test set %s', async (_n, s) => {
    const r = await aka([
      'milenage',
      '--k',
      s.K,
      '--op',
      s.OP,
      '--rand',
      s.RAND,
      '--sqn',
      s.SQN,
      '--amf',
      s.AMF,
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      opc: s.OPc,
      mac_a: s.f1,
      mac_s: s.f1star,
      res: s.f2_RES,
      ck: s.f3_CK,
      ik: s.f4_IK,
      ak: s.f5_AK,
      ak_star: s.f5star_AKstar,
      autn: s.AUTN_computed,
    });
  });

  it('accepts upper-case hex and prints lower case', async () => {
    const [, s] = sets[0]!;
    const r = await aka([
      'milenage',
      '--k',
      s.K.toUpperCase(),
      '--opc',
      s.OPc.toUpperCase(),
      '--rand',
      s.RAND,
      '--sqn',
      s.SQN,
      '--amf',
      'B9B9',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).autn).toBe(s.AUTN_computed);
  });

  it('auts and resync round-trip', async () => {
    const [, s] = sets[0]!;
    const a = await aka(['auts', '--k', s.K, '--opc', s.OPc, '--rand', s.RAND, '--sqn-ms', '000000000100']);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout)).toEqual({ auts: '451e8beca53b8506fa82045c245c' });
    const r = await aka([
      'resync',
      '--k',
      s.K,
      '--opc',
      s.OPc,
      '--rand',
      s.RAND,
      '--auts',
      '451e8beca53b8506fa82045c245c',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ sqn_ms: '000000000100', mac_s_ok: true });
  });

  it('resync with a bad MAC-S still prints its JSON, with mac_s_ok false', async () => {
    const [, s] = sets[0]!;
    const r = await aka([
      'resync',
      '--k',
      s.K,
      '--opc',
      s.OPc,
      '--rand',
      s.RAND,
      '--auts',
      '451e8beca53b8506fa82045c245d',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ sqn_ms: '000000000100', mac_s_ok: false });
  });

  const akaArgs = [
    '--username',
    '001010000000001@ims.mnc001.mcc001.3gppnetwork.org',
    '--realm',
    'ims.mnc001.mcc001.3gppnetwork.org',
    '--nonce',
    'I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M=',
    '--method',
    'GET',
    '--uri',
    '/simservs.ngn.etsi.org/users/sip:+15551234567@ims.mnc001.mcc001.3gppnetwork.org/simservs.xml',
    '--qop',
    'auth',
    '--nc',
    '00000001',
    '--cnonce',
    '0a4f113b',
  ];

  it('digest AKAv1-MD5 and AKAv2-MD5', async () => {
    const [, s] = sets[0]!;
    const v1 = await aka(['digest', '--algorithm', 'AKAv1-MD5', ...akaArgs, '--res', s.f2_RES]);
    expect(JSON.parse(v1.stdout)).toEqual({ response: 'ec82bc9d00663c41cfd82a447d6d5973' });
    const v2 = await aka([
      'digest',
      '--algorithm',
      'AKAv2-MD5',
      ...akaArgs,
      '--res',
      s.f2_RES,
      '--ik',
      s.f4_IK,
      '--ck',
      s.f3_CK,
    ]);
    expect(JSON.parse(v2.stdout)).toEqual({ response: 'e851ef358b34bc483dd58606929160bc' });
  });

  it('digest MD5 and SHA-256 with a password (RFC 7616 3.9.1)', async () => {
    const common = [
      '--username',
      'Mufasa',
      '--realm',
      'http-auth@example.org',
      '--nonce',
      '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
      '--method',
      'GET',
      '--uri',
      '/dir/index.html',
      '--qop',
      'auth',
      '--nc',
      '00000001',
      '--cnonce',
      'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
      '--password',
      'Circle of Life',
    ];
    expect(JSON.parse((await aka(['digest', '--algorithm', 'MD5', ...common])).stdout).response).toBe(
      '8ca523f5e9506fed4657c9700eebdbec',
    );
    expect(JSON.parse((await aka(['digest', '--algorithm', 'SHA-256', ...common])).stdout).response).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('digest auth-int hashes the body file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aka-cli-'));
    try {
      const f = join(dir, 'body.xml');
      writeFileSync(f, '<x/>');
      const args = [
        'digest',
        '--algorithm',
        'MD5',
        '--username',
        'u',
        '--realm',
        'r',
        '--nonce',
        'n',
        '--method',
        'PUT',
        '--uri',
        '/',
        '--nc',
        '00000001',
        '--cnonce',
        'c',
        '--password',
        'p',
        '--qop',
        'auth-int',
      ];
      const withBody = JSON.parse((await aka([...args, '--body-file', f])).stdout).response;
      const empty = JSON.parse((await aka(args)).stdout).response;
      expect(withBody).toMatch(/^[0-9a-f]{32}$/);
      expect(withBody).not.toBe(empty);
      const missing = await aka([...args, '--body-file', join(dir, 'nope')]);
      expect(missing.code).toBe(1);
      expect(missing.stdout).toBe('');
      expect(missing.stderr).toMatch(/--body-file: cannot read .*ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [
      'non-hex K',
      [
        'milenage',
        '--k',
        'zz5b5ce8b199b49faa5f0a2ee238a6bc',
        '--opc',
        sets[0]![1].OPc,
        '--rand',
        sets[0]![1].RAND,
        '--sqn',
        'ff9bb4d0b607',
        '--amf',
        'b9b9',
      ],
      /--k: character 1 is not a hex digit/,
    ],
    [
      'short RAND',
      [
        'milenage',
        '--k',
        sets[0]![1].K,
        '--opc',
        sets[0]![1].OPc,
        '--rand',
        '2355',
        '--sqn',
        'ff9bb4d0b607',
        '--amf',
        'b9b9',
      ],
      /--rand: expected 16 bytes/,
    ],
    [
      'both op and opc',
      [
        'milenage',
        '--k',
        sets[0]![1].K,
        '--op',
        sets[0]![1].OP,
        '--opc',
        sets[0]![1].OPc,
        '--rand',
        sets[0]![1].RAND,
        '--sqn',
        'ff9bb4d0b607',
        '--amf',
        'b9b9',
      ],
      /exactly one of --op and --opc/,
    ],
    ['missing option', ['milenage', '--k', sets[0]![1].K], /required option/],
    [
      'short AUTS',
      ['resync', '--k', sets[0]![1].K, '--opc', sets[0]![1].OPc, '--rand', sets[0]![1].RAND, '--auts', '00'],
      /--auts: expected 14 bytes/,
    ],
    [
      'unknown algorithm',
      ['digest', '--algorithm', 'SHA-1', ...akaArgs, '--password', 'x'],
      /unsupported digest algorithm/,
    ],
    [
      'AKAv2 without IK',
      ['digest', '--algorithm', 'AKAv2-MD5', ...akaArgs, '--res', 'a54211d5e3ba50bf'],
      /needs --ik and --ck/,
    ],
    ['unknown command', ['frobnicate'], /unknown command/],
  ])('bad input (%s): exit 2, one reason on stderr, nothing on stdout', async (_name, args, reason) => {
    const r = await aka(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(reason as RegExp);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('never echoes a key in an error: a K with a trailing space is reported by position only', async () => {
    const [, s] = sets[0]!;
    const r = await aka([
      'milenage',
      '--k',
      s.K + ' ',
      '--opc',
      s.OPc,
      '--rand',
      s.RAND,
      '--sqn',
      s.SQN,
      '--amf',
      s.AMF,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--k: character 33 is not a hex digit/);
    expect(r.stderr).not.toContain(s.K);
  });

  it('no command: usage on stderr, exit 2; --help: exit 0', async () => {
    const none = await aka([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/Usage: aka/);
    const help = await aka(['--help']);
    expect(help.code).toBe(0);
    expect(help.stderr).toMatch(/milenage/);
  });
});
