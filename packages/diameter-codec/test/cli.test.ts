import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { run as runCli } from '../src/cli';
import { DWR, MAR } from './vectors';

const run = promisify(execFile);
const CLI = join(__dirname, '..', 'bin', 'diameter.js');

async function diameter(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

function withStdin(bytes: Buffer): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, 'decode']);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(bytes);
  });
}

interface Node {
  code: number;
  name: string | null;
  vendorId?: number;
  value?: unknown;
  enum?: string;
  hex?: string;
  unknown?: boolean;
  unsupported?: string;
  flags: { vendor: boolean; mandatory: boolean };
  avps?: Node[];
}

describe('diameter decode (bin/diameter.js over the built dist/, run as a process)', () => {
  it('prints a MAR as a JSON tree with TS 29.229 names, vendors, flags and typed values', async () => {
    const r = await diameter(['decode', '--hex', MAR.toString('hex')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const t = JSON.parse(r.stdout) as {
      command: unknown;
      application: unknown;
      flags: unknown;
      avps: Node[];
    };
    expect(t.command).toEqual({ code: 303, name: 'Multimedia-Auth', abbrev: 'MAR' });
    expect(t.application).toEqual({ id: 16777216, name: '3GPP Cx' });
    expect(t.flags).toEqual({ request: true, proxiable: true, error: false, retransmit: false });
    const byName = new Map(t.avps.map((a) => [a.name, a]));
    expect(byName.get('Public-Identity')).toMatchObject({
      code: 601,
      vendorId: 10415,
      flags: { vendor: true, mandatory: true },
      value: 'sip:user1_public1@home1.net',
    });
    expect(byName.get('Auth-Session-State')).toMatchObject({ value: 1, enum: 'NO_STATE_MAINTAINED' });
    expect(byName.get('SIP-Auth-Data-Item')!.avps![0]).toMatchObject({
      name: 'SIP-Authentication-Scheme',
      value: 'Digest-AKAv1-MD5',
    });
  });

  it('reads raw bytes from stdin', async () => {
    const r = await withStdin(DWR);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { command: { abbrev: string } }).command.abbrev).toBe('DWR');
  });

  it('exits 1 with 5014 and the reason for an AVP length past the message', async () => {
    const bad = Buffer.from(DWR);
    bad.writeUIntBE(0xff, 20 + 20 + 5, 3); // Origin-Realm length
    const r = await diameter(['decode', '--hex', bad.toString('hex')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^diameter: 5014 DIAMETER_INVALID_AVP_LENGTH: AVP 296 at offset 40: length 255/);
    expect(JSON.parse(r.stdout).error.resultCode).toBe(5014);
  });

  it('exits 1 with 5015 for a truncated header and for a wrong message length', async () => {
    const short = await diameter(['decode', '--hex', DWR.subarray(0, 10).toString('hex')]);
    expect(short.code).toBe(1);
    expect(short.stderr).toBe(
      'diameter: 5015 DIAMETER_INVALID_MESSAGE_LENGTH: truncated header: 10 bytes, a Diameter header has 20\n',
    );
    const cut = await diameter(['decode', '--hex', DWR.subarray(0, 60).toString('hex')]);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/5015 .*message length 72: only 60 bytes arrived/);
  });

  it('shows an unknown AVP with code, vendor, flags and hex; an M-set one flagged, exit 0', async () => {
    const extra = Buffer.from('0000270f c0 000010 00007ed9 cafebabe'.replace(/ /g, ''), 'hex');
    const m = Buffer.concat([DWR, extra]);
    m.writeUIntBE(m.length, 1, 3);
    const r = await diameter(['decode', '--hex', m.toString('hex')]);
    expect(r.code).toBe(0);
    const t = JSON.parse(r.stdout) as { avps: Node[]; error: { resultCode: number } };
    expect(t.avps[3]).toMatchObject({
      code: 9999,
      name: null,
      vendorId: 32473,
      flags: { vendor: true, mandatory: true },
      unknown: true,
      unsupported: 'AVP_UNSUPPORTED (5001)',
      hex: 'cafebabe',
    });
    expect(t.error.resultCode).toBe(5001);
  });

  it('exits 2 for --hex that is not hex', async () => {
    const r = await diameter(['decode', '--hex', 'zz01']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('diameter: --hex: not hexadecimal\n');
    expect(r.stdout).toBe('');
  });

  it('exits 2 for an unknown subcommand', async () => {
    expect((await diameter(['encode'])).code).toBe(2);
  });

  it('run() in-process accepts spaced hex and reports the exit code', () => {
    const out: string[] = [];
    const code = runCli(['decode', '--hex', MAR.toString('hex').replace(/(.{8})/g, '$1 ')], {
      out: (s) => out.push(s),
      err: () => undefined,
      stdin: () => Buffer.alloc(0),
    });
    expect(code).toBe(0);
    expect(JSON.parse(out.join('')).length).toBe(304);
  });
});
