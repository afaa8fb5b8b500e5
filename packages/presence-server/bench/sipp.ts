/**
 * SIPp as the load generator of the benchmark: one scenario run in its own directory (where SIPp writes its
 * `<scenario>_<pid>_rtt.csv`), pinned to a core, and what it says at the end: the last line of its
 * statistics file (-trace_stat), the message rows of its final scenario screen (Retrans and Timeout per
 * message), the response times (-trace_rtt) and the CPU time it used.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIPP_BINARY, sippPorts } from '@ut-testbed/sip-core';

export { SIPP_BINARY };

/**
 * SIPp's ports (SIP, media, control) on free ports. SIPp also binds media+2 (its video echo port), which
 * a free control or SIP port may be: such a draw is made again.
 */
export async function sippPortArgs(): Promise<{ sip: number; args: string[] }> {
  for (;;) {
    const ports = await sippPorts();
    const [sip, media, control] = ['-p', '-mp', '-cp'].map((f) =>
      Number(ports.args[ports.args.indexOf(f) + 1]),
    );
    const clash = (p: number) => p >= media! && p <= media! + 3;
    if (!clash(sip!) && !clash(control!)) return ports;
  }
}

export interface ScreenRow {
  /** `PUBLISH`, `200`, `NOTIFY`... as SIPp prints it */
  message: string;
  direction: 'sent' | 'received';
  count: number;
  retrans: number;
  timeout: number;
  unexpected: number;
}

export interface ResponseTimes {
  n: number;
  mean_ms: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

export interface SippRun {
  code: number | null;
  /** the last line of the -trace_stat file, by column (SuccessfulCall(C), Retransmissions(C)...) */
  stat: Record<string, string>;
  /** seconds from SIPp's start to its last statistics line (its end) */
  elapsed: number;
  rows: ScreenRow[];
  /** per response time number (the rtd="N" of the scenario) */
  rtt: Map<number, ResponseTimes>;
  /** ms from SIPp's start at which each measured response came */
  answeredAt: number[];
  /** user + system CPU seconds of the SIPp process */
  cpu: number;
  stdout: string;
  stderr: string;
}

/** The CPU seconds of this process's children that have ended and been waited for (fields 16-17 of stat). */
function endedChildrenCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

/** `20:07:38.847336<TAB>1796414858.847336` → the epoch seconds SIPp puts last in its time columns. */
const epoch = (field: string | undefined) => Number((field ?? '').trim().split(/\s+/).pop());

export function parseStat(text: string): { stat: Record<string, string>; elapsed: number } {
  const lines = text.trim().split('\n');
  const names = lines[0]!.split(';');
  const last = lines[lines.length - 1]!.split(';');
  const stat = Object.fromEntries(names.map((n, i) => [n, last[i] ?? '']));
  return { stat, elapsed: epoch(stat.CurrentTime) - epoch(stat.StartTime) };
}

/** The rows of the scenario screen: `PUBLISH ---------->  B-RTD1 5000  0  0` and `200 <----------  ...`. */
export function parseScreen(stdout: string): ScreenRow[] {
  // the final screens come last; the scenario screen is the one before "Statistics Screen"
  const end = stdout.lastIndexOf('Statistics Screen');
  const start = stdout.lastIndexOf('Messages  Retrans', end < 0 ? undefined : end);
  if (start < 0) return [];
  const rows: ScreenRow[] = [];
  for (const line of stdout.slice(start, end < 0 ? undefined : end).split('\n')) {
    const m = /^\s*(\S+)\s+(-{3,}>|<-{3,})\s+(.*)$/.exec(line);
    if (!m) continue;
    const n = m[3]!
      .split(/\s+/)
      .filter((t) => /^\d+$/.test(t))
      .map(Number);
    rows.push({
      message: m[1]!,
      direction: m[2]!.startsWith('<') ? 'received' : 'sent',
      count: n[0] ?? 0,
      retrans: n[1] ?? 0,
      timeout: n[2] ?? 0,
      unexpected: n[3] ?? 0,
    });
  }
  return rows;
}

/**
 * The -trace_rtt file: `Date_ms;response_time_ms;rtd_no`, one line per measured response (ms ticks; Date_ms
 * is when the response came, from SIPp's start): the response times by rtd, and when the responses came.
 */
export function parseRtt(text: string): { times: Map<number, ResponseTimes>; answeredAt: number[] } {
  const by = new Map<number, number[]>();
  const answeredAt: number[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [at, ms, rtd] = line.split(';');
    if (rtd === undefined) continue;
    answeredAt.push(Number(at));
    const list = by.get(Number(rtd)) ?? [];
    list.push(Number(ms));
    by.set(Number(rtd), list);
  }
  const out = new Map<number, ResponseTimes>();
  for (const [rtd, v] of by) {
    v.sort((a, b) => a - b);
    // SIPp counts in ms ticks, now and then printed as 524.001
    const q = (p: number) => Math.round(v[Math.min(v.length - 1, Math.floor(p * v.length))]! * 10) / 10;
    out.set(rtd, {
      n: v.length,
      mean_ms: Math.round((v.reduce((s, x) => s + x, 0) / v.length) * 100) / 100,
      p50_ms: q(0.5),
      p99_ms: q(0.99),
      max_ms: q(1),
    });
  }
  return { times: out, answeredAt };
}

export interface SippOptions {
  /** the directory SIPp runs in and writes its files to (one per run) */
  dir: string;
  core: number;
  /** called with the process once it is spawned (so that the bench can end it on SIGINT) */
  started?: (proc: ChildProcess) => void;
}

/**
 * Runs `sipp <args> -trace_stat -trace_rtt` and resolves when it exits. SIPp's exit code is 0 when every
 * call succeeded, 1 when some failed; both resolve (the caller reports the failures), anything else rejects.
 */
export function runSipp(args: string[], o: SippOptions): Promise<SippRun> {
  const statFile = join(o.dir, 'stat.csv');
  const argv = [
    ...args,
    '-nostdin',
    '-trace_stat',
    '-stf',
    statFile,
    // one statistics line per second: the last one, written at the end, is what is read
    '-fd',
    '1',
    '-trace_rtt',
    '-rtt_freq',
    '1',
  ];
  return new Promise((resolve, reject) => {
    const cpu0 = endedChildrenCpu();
    const proc = spawn('taskset', ['-c', String(o.core), SIPP_BINARY, ...argv], {
      cwd: o.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    o.started?.(proc);
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      // SIPp redraws its screen once a second: only the final screens at the end are of interest
      if (stdout.length > 1 << 20) stdout = stdout.slice(-(1 << 19));
    });
    proc.stderr.on('data', (b: Buffer) => {
      if (stderr.length < 1 << 16) stderr += b.toString();
    });
    proc.once('error', reject);
    proc.once('close', (code) => {
      const cpu = endedChildrenCpu() - cpu0;
      if (code !== 0 && code !== 1) {
        reject(
          new Error(`sipp ${argv.join(' ')} exited with ${code}:\n${stderr.trim()}\n${stdout.slice(-2000)}`),
        );
        return;
      }
      try {
        const { stat, elapsed } = parseStat(readFileSync(statFile, 'utf8'));
        const rttFile = readdirSync(o.dir).find((f) => f.endsWith('_rtt.csv'));
        const rtt = rttFile
          ? parseRtt(readFileSync(join(o.dir, rttFile), 'utf8'))
          : { times: new Map<number, ResponseTimes>(), answeredAt: [] };
        resolve({
          code,
          stat,
          elapsed,
          rows: parseScreen(stdout),
          rtt: rtt.times,
          answeredAt: rtt.answeredAt,
          cpu,
          stdout,
          stderr,
        });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

/** The receive drops so far of the UDP socket on 127.0.0.1:`port` (the last column of /proc/net/udp). */
export function udpDrops(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local) return Number(f[f.length - 1]);
  }
  return 0;
}

/**
 * CPU seconds core `n` has been busy (user, nice, system, irq, softirq, steal: everything but idle and
 * iowait), from /proc/stat: less the measured process's own time, what else ran on its core.
 */
export function coreBusySeconds(n: number): number {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${n} `));
  const [user, nice, system, , , irq, softirq, steal] = line!.trim().split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}
