/** Runs `hss-sim` (bin/hss-sim.js over the built dist/) as a child process, as users and the testbed do. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(__dirname, '..', 'bin', 'hss-sim.js');

export interface Running {
  proc: ChildProcess;
  ready: { ready: true; service: string; endpoints: { diameter: string; admin?: string } };
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `hss-sim start --config F` and resolves with its ready line (rejects if it exits first). */
export function startProcess(configFile: string): Promise<Running> {
  const proc = spawn(process.execPath, [BIN, 'start', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  let out = '';
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ proc, ready: JSON.parse(out.slice(0, nl)), stderr: () => err, exited });
    });
    void exited.then(({ code }) => reject(new Error(`hss-sim exited (${code}) before it was ready: ${err}`)));
  });
}

/** Runs one `hss-sim` command to completion. */
export function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
