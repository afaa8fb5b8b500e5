/**
 * A service started as a process of its own, the way tests and benchmarks run one: its command with
 * arguments, optionally pinned to one core (`taskset`), resolved once it has printed its JSON ready line
 * (DESIGN.md section 5), rejected with its stderr if it exits or stays silent first. And the CPU time a
 * process has used, for per-request figures, and whether one of its TCP endpoints accepts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

export interface ReadyLine {
  ready: boolean;
  service: string;
  endpoints: Record<string, string>;
}

export interface ServiceProcess {
  proc: ChildProcess;
  ready: ReadyLine;
  /** SIGTERM, resolved with the exit code once it is gone */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  /** run on this core only (taskset -c) */
  core?: number;
  /** options for node before the script (e.g. --cpu-prof) */
  nodeArgs?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** ms to wait for the ready line (default 15 s) */
  timeoutMs?: number;
  /** where the service's stderr goes (default: kept, and shown if it fails to start) */
  stderr?: 'inherit' | 'pipe';
}

/** Starts `node <script> ...args` and waits for its ready line. */
export function startServiceProcess(
  script: string,
  args: readonly string[],
  o: StartOptions = {},
): Promise<ServiceProcess> {
  const argv = [process.execPath, ...(o.nodeArgs ?? []), script, ...args];
  const [cmd, ...rest] = o.core === undefined ? argv : ['taskset', '-c', String(o.core), ...argv];
  const proc = spawn(cmd!, rest, {
    stdio: ['ignore', 'pipe', o.stderr ?? 'pipe'],
    ...(o.env ? { env: o.env } : {}),
  });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    return exited;
  };
  return new Promise<ServiceProcess>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${script}: no ready line after ${o.timeoutMs ?? 15_000} ms\n${err.trim()}`));
    }, o.timeoutMs ?? 15_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      resolve({ proc, ready: JSON.parse(out.slice(0, nl)) as ReadyLine, stop });
    });
    void exited.then((c) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${c}) before it was ready\n${err.trim()}`));
    });
  });
}

/** CPU seconds (user + system, all threads) a process has used, from /proc/<pid>/stat (Linux). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name (field 2) may hold spaces and parentheses: count from the ")" that ends it
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat, in clock ticks (USER_HZ: 100 on Linux)
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Whether a TCP listener accepts at `host:port` (the form of the ready line's endpoints; [v6]:port too). */
export function isListening(hostPort: string): Promise<boolean> {
  const i = hostPort.lastIndexOf(':');
  return new Promise((resolve) => {
    const s = connect(Number(hostPort.slice(i + 1)), hostPort.slice(0, i).replace(/^\[|\]$/g, ''));
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}
