/**
 * The `ap` command: `start` runs the Authentication Proxy in the foreground and prints one ready line;
 * SIGTERM/SIGINT let in-flight requests finish, then exit 0. Exit 1 when it cannot start, 2 for bad
 * usage or a bad config.
 */
import { addStartCommand, commandMain, commandProgram, runProgram, type Io } from '@ut-testbed/service-kit';
import { start } from './service';

export type { Io };

export function run(
  argv: string[],
  io: Io,
  onStarted: (close: () => Promise<void>) => void = () => undefined,
): Promise<number> {
  const p = commandProgram(
    'ap',
    'the Authentication Proxy: TLS for every application server, Digest AKA via the HSS',
    io,
  );
  addStartCommand(p, {
    service: 'ap',
    description: 'run the AP; prints {"ready":true,...} once it listens',
    io,
    start: (c) => start({ ap: c.ap, realm: c.realm }),
    onStarted,
  });
  return runProgram('ap', p, argv, io);
}

/** Entry point of the `ap` command (bin/ap.js). */
export function main(): void {
  commandMain('ap', run);
}
