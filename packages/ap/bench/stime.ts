/**
 * `openssl s_time` on core 1: one connection after another for a given time, each a full handshake (-new)
 * or a resumption of the first connection's session (-reuse), and what its own output says about them.
 */
import { spawn, spawnSync } from 'node:child_process';

export const OPENSSL = process.env.BENCH_OPENSSL ?? '/usr/bin/openssl';

/**
 * What s_time sends after each handshake, with -www: "GET <path> HTTP/1.0" and a blank line.
 *
 * Without -www, s_time closes each connection right after the handshake and never reads, so it never
 * receives a TLS 1.3 session ticket (sent by the server after its Finished): -reuse then resumes nothing
 * with TLS 1.3 (every connection is printed as "*", none as "r"), against nginx as against the AP. With
 * -www it reads until the server closes. The AP keeps HTTP/1.0 connections open (it answers every request
 * with "Connection: keep-alive", even one that asked for close) until its 30 s idle timeout, so s_time
 * would stall on the first connection; a request line the HTTP parser rejects makes both the AP and nginx
 * answer a short 400 and close at once. Both peers get the same bytes.
 */
export const STIME_WWW = 'x';

export interface StimeRun {
  /** the command line, as it would be typed */
  command: string;
  connections: number;
  /** connections s_time printed as "r" (SSL_session_reused) */
  reused: number;
  /** measured around the process: s_time's own "real seconds" is whole seconds of time(2) */
  wallSeconds: number;
  perSecond: number;
}

export function stimeArgs(
  port: number,
  o: { version: '1.2' | '1.3'; reuse: boolean; seconds: number },
): string[] {
  return [
    's_time',
    '-connect',
    `127.0.0.1:${port}`,
    o.reuse ? '-reuse' : '-new',
    '-time',
    String(o.seconds),
    o.version === '1.3' ? '-tls1_3' : '-tls1_2',
    '-www',
    STIME_WWW,
  ];
}

export async function stime(
  port: number,
  o: { version: '1.2' | '1.3'; reuse: boolean; seconds: number },
): Promise<StimeRun> {
  const args = ['-c', '1', OPENSSL, ...stimeArgs(port, o)];
  const t0 = performance.now();
  const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // not left running if the bench ends while it runs
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  // s_time stops after -time seconds plus at most one more (it compares time(2) values)
  const killer = setTimeout(() => child.kill('SIGKILL'), (o.seconds + 15) * 1000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(killer);
  process.off('exit', onExit);
  const wallSeconds = (performance.now() - t0) / 1000;
  const command = `taskset ${args.join(' ')}`;
  const m = /(\d+) connections in \d+ real seconds/.exec(out);
  if (code !== 0 || !m || /ERROR/.test(out)) throw new Error(`${command}: exit ${code}\n${out.slice(-2000)}`);
  // one character per connection: "r" reused, "*" a full handshake (TLS >= 1.1)
  const progress = out
    .split('\n')
    .filter((l) => /^[*rt3]+$/.test(l))
    .join('');
  const connections = Number(m[1]);
  return {
    command,
    connections,
    reused: [...progress].filter((c) => c === 'r').length,
    wallSeconds,
    perSecond: connections / wallSeconds,
  };
}

/** What an s_client with default settings negotiates with a server (protocol, cipher, key exchange group). */
export function negotiated(
  port: number,
  flags: string[] = [],
): { protocol: string; cipher: string; group: string } {
  const r = spawnSync(OPENSSL, ['s_client', '-connect', `127.0.0.1:${port}`, '-brief', ...flags], {
    input: '',
    encoding: 'utf8',
    timeout: 10_000,
  });
  const text = `${r.stdout}\n${r.stderr}`;
  const field = (name: string) => new RegExp(`${name}: (.*)`).exec(text)?.[1]?.trim() ?? '?';
  return {
    protocol: field('Protocol version'),
    cipher: field('Ciphersuite'),
    group: field('(?:Peer|Server) Temp Key'),
  };
}

export function opensslVersion(): string {
  return spawnSync(OPENSSL, ['version'], { encoding: 'utf8' }).stdout.trim();
}
