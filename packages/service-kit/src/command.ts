/**
 * The commands of the services (DESIGN.md section 5): `<name> start [--config F]` starts the service, prints
 * exactly one JSON ready line on stdout and stops on SIGTERM/SIGINT; machine output on stdout, one clear line
 * on stderr for a failure; exit 0 success, 1 failure, 2 bad usage (a bad config file included, naming the key).
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig, type Config } from '@ut-testbed/config';

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

/** A usage problem: exit 2. */
export class UsageError extends Error {}

/** The config file of a command; a bad one is a usage error whose message names the key. */
export function commandConfig(path: string | undefined): Config {
  try {
    return loadConfig(path);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.summary);
    throw e;
  }
}

/** The program of a command, writing commander's help and errors to stderr and never exiting by itself. */
export function commandProgram(name: string, description: string, io: Io): Command {
  return new Command(name)
    .description(description)
    .configureOutput({ writeOut: (s) => io.err(s), writeErr: (s) => io.err(s) })
    .exitOverride();
}

export interface Started {
  endpoints: object;
  close(): Promise<void>;
}

/** Adds `start [--config F]`: the service from the config, its ready line, and its close for the signals. */
export function addStartCommand(
  p: Command,
  o: {
    service: string;
    description: string;
    io: Io;
    start: (config: Config) => Promise<Started>;
    onStarted: (close: () => Promise<void>) => void;
  },
): void {
  p.command('start')
    .description(o.description)
    .option('--config <file>', 'configuration file (default config/testbed.yaml when present)')
    .action(async (opts: { config?: string }) => {
      const svc = await o.start(commandConfig(opts.config));
      // the signal handlers first: whoever reads the ready line may send SIGTERM at once
      o.onStarted(() => svc.close());
      o.io.out(JSON.stringify({ ready: true, service: o.service, endpoints: svc.endpoints }) + '\n');
    });
}

/** Parses and runs; the exit code by DESIGN.md section 5. */
export async function runProgram(name: string, p: Command, argv: string[], io: Io): Promise<number> {
  try {
    await p.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    }
    io.err(`${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

export type Run = (
  argv: string[],
  io: Io,
  onStarted?: (close: () => Promise<void>) => void,
) => Promise<number>;

/** The entry point of a bin: runs the command; a started service stops on SIGTERM/SIGINT and exits 0. */
export function commandMain(name: string, run: Run): void {
  const io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) };
  void run(process.argv.slice(2), io, (close) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      close().then(
        () => process.exit(0),
        (e: unknown) => {
          io.err(`${name}: stopping: ${e instanceof Error ? e.message : String(e)}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  }).then((code) => {
    if (code !== 0) process.exit(code);
  });
}
