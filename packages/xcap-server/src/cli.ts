/**
 * The `xcap-server` command: `start` runs the XCAP server in the foreground and prints one ready line;
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
  const p = new Command('xcap-server')
    .description('an RFC 4825 XCAP server (resource-lists, rls-services, pres-rules, simservs, xcap-caps)')
    .configureOutput({ writeOut: (s) => io.err(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  p.command('start')
    .description('run the XCAP server; prints {"ready":true,...} once it listens')
    .option('--config <file>', 'configuration file (default config/testbed.yaml when present)')
    .action(async (o: { config?: string }) => {
      let c;
      try {
        c = loadConfig(o.config);
      } catch (e) {
        if (e instanceof ConfigError) throw new UsageError(e.summary);
        throw e;
      }
      const svc = await start({ xcap: c.xcap });
      io.out(JSON.stringify({ ready: true, service: 'xcap-server', endpoints: svc.endpoints }) + '\n');
      onStarted(() => svc.close());
    });
  try {
    await p.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError)
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    io.err(`xcap-server: ${e instanceof Error ? e.message : String(e)}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

/** Entry point of the `xcap-server` command (bin/xcap-server.js). */
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
