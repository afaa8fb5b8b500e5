/**
 * The `ap` command: `start` runs the Authentication Proxy in the foreground and prints one ready line;
 * SIGTERM/SIGINT let in-flight requests finish, then exit 0. Exit 1 when it cannot start, 2 for bad
 * usage or a bad config.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '@ut-testbed/config';
import { start } from './service';

class UsageError extends Error {}

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

export async function run(
  argv: string[],
  io: Io,
  onStarted: (close: () => Promise<void>) => void = () => undefined,
): Promise<number> {
  const p = new Command('ap')
    .description('the Authentication Proxy: TLS for every application server, Digest AKA via the HSS')
    .configureOutput({ writeOut: (s) => io.err(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  p.command('start')
    .description('run the AP; prints {"ready":true,...} once it listens')
    .option('--config <file>', 'configuration file (default config/testbed.yaml when present)')
    .action(async (o: { config?: string }) => {
      let c;
      try {
        c = loadConfig(o.config);
      } catch (e) {
        if (e instanceof ConfigError) throw new UsageError(e.summary);
        throw e;
      }
      const svc = await start({ ap: c.ap, realm: c.realm });
      io.out(JSON.stringify({ ready: true, service: 'ap', endpoints: svc.endpoints }) + '\n');
      onStarted(() => svc.close());
    });
  try {
    await p.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError)
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    io.err(`ap: ${e instanceof Error ? e.message : String(e)}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

/** Entry point of the `ap` command (bin/ap.js). */
export function main(): void {
  const io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) };
  void run(process.argv.slice(2), io, (close) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  }).then((code) => {
    if (code !== 0) process.exit(code);
  });
}
