/**
 * The processes of a benchmark run: services started on a given core, read for CPU time, and all ended when
 * the run ends, whether it ends normally, by an error or by SIGINT/SIGTERM.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

import { cpuSeconds } from '@ut-testbed/service-kit';

export { cpuSeconds };

/** The processes whose parent is `pid` (nginx's workers), from /proc. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // the process ended while the list was read
    }
  }
  return out;
}

/** Pins every thread of a running process to one core (the bench itself, or a service moved for one measurement). */
export function pin(pid: number, core: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
}

/** A port nobody listens on now (for nginx, which cannot report the port it picked). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Service {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** the JSON ready line the service printed */
  ready: { endpoints: Record<string, string> };
  /** CPU seconds of the service, including its child processes (nginx's worker) */
  cpu(): number;
}

/** Everything started for the run, ended by `stopAll()`. */
export class Processes {
  private readonly services: Service[] = [];

  constructor() {
    // A service outliving the bench would hold its port and a core: end them on every way out.
    process.once('exit', () => this.killNow('SIGKILL'));
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        process.stderr.write(`\n${signal}: stopping the services\n`);
        void this.stopAll().finally(() => process.exit(130));
      });
    }
  }

  /**
   * Starts `argv` pinned to `core` with taskset (taskset execs the command: the pid is the service's own).
   * Each service gets its own process group, so that ending the group also ends its children (nginx's
   * worker). `ready` is the JSON line the service prints when it listens; without it (nginx), `waitReady`
   * says when the service is up.
   */
  async start(
    name: string,
    argv: string[],
    o: { core: number; waitReady?: () => Promise<void> },
  ): Promise<Service> {
    const proc = spawn('taskset', ['-c', String(o.core), ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => {
      // kept for the error message if the service does not start; a chatty service must not grow it forever
      if (stderr.length < 64 * 1024) stderr += d.toString();
    });
    const exited = new Promise<never>((_, reject) => {
      proc.once('error', reject);
      proc.once('exit', (code, signal) =>
        reject(new Error(`${name} exited (${signal ?? code}) before it was ready:\n${stderr.trim()}`)),
      );
    });
    exited.catch(() => undefined);
    const pid = proc.pid!;
    const svc: Service = {
      name,
      proc,
      pid,
      ready: { endpoints: {} },
      cpu: () => [pid, ...childrenOf(pid)].reduce((s, p) => s + cpuSeconds(p), 0),
    };
    this.services.push(svc);
    const ready = o.waitReady
      ? o.waitReady().then(() => svc.ready)
      : new Promise<Service['ready']>((resolve) => {
          let out = '';
          proc.stdout!.on('data', (d: Buffer) => {
            out += d.toString();
            const nl = out.indexOf('\n');
            if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as Service['ready']);
          });
        });
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${name}: not ready after 15 s:\n${stderr.trim()}`)), 15_000).unref(),
    );
    svc.ready = await Promise.race([ready, exited, timeout]);
    proc.stdout!.resume();
    return svc;
  }

  /** SIGTERM to every service's process group, SIGKILL for those still there after 5 s. */
  stopAll(): Promise<void> {
    return this.stop(...this.services);
  }

  /** SIGTERM to these services' process groups (a graceful exit: the AP writes its --cpu-prof then), SIGKILL after 5 s. */
  async stop(...services: Service[]): Promise<void> {
    const running = services.filter((s) => s.proc.exitCode === null && s.proc.signalCode === null);
    const gone = running.map((s) => new Promise((r) => s.proc.once('exit', r)));
    for (const s of running) this.signal(s, 'SIGTERM');
    const timer = setTimeout(() => {
      for (const s of running) this.signal(s, 'SIGKILL');
    }, 5000);
    await Promise.all(gone);
    clearTimeout(timer);
  }

  private killNow(signal: NodeJS.Signals): void {
    for (const s of this.services)
      if (s.proc.exitCode === null && s.proc.signalCode === null) this.signal(s, signal);
  }

  private signal(s: Service, signal: NodeJS.Signals): void {
    try {
      process.kill(-s.pid, signal);
    } catch {
      // already gone
    }
  }
}
