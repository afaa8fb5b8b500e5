/**
 * Running SIPp (Debian sip-tester, 3.6) as a peer nobody here wrote, for interop tests: one scenario in the
 * foreground on loopback with its own free ports, bounded in calls and time, and what it printed.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

export interface SippRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The sipp binary: $SIPP, else /usr/bin/sipp. */
export const SIPP_BINARY = process.env.SIPP ?? '/usr/bin/sipp';

/** One call, no keyboard, at most 10 s: the arguments every scenario run starts with. */
export const SIPP_BOUNDED = ['-m', '1', '-nostdin', '-timeout', '10s', '-timeout_error'];

/** Runs sipp with `args`; resolves when it exits (killed after 20 s, which SIPP_BOUNDED should never reach). */
export function runSipp(args: string[]): Promise<SippRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(SIPP_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A port free for both UDP and TCP on 127.0.0.1 just now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const udp = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (ok) return port;
  }
}

/** SIPp's own ports (SIP, RTP echo, control) on free ports, so that runs do not collide. */
export async function sippPorts(): Promise<{ sip: number; args: string[] }> {
  const [sip, media, control] = [await freePort(), await freePort(), await freePort()];
  return { sip, args: ['-i', '127.0.0.1', '-p', String(sip), '-mp', String(media), '-cp', String(control)] };
}

/** The lines of SIPp's stderr that report a problem. */
export function sippProblems(run: SippRun): string[] {
  return run.stderr.split('\n').filter((l) => /abort|fail|error|unexpected/i.test(l));
}
