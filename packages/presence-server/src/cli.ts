/**
 * The `presence-server` command: `start` runs the presence server in the foreground and prints one ready
 * line; SIGTERM/SIGINT close it, then exit 0. Exit 1 when it cannot start, 2 for bad usage or a bad config.
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
    'presence-server',
    'the SIP presence server (PUBLISH, SUBSCRIBE presence and presence.winfo, event lists)',
    io,
  );
  addStartCommand(p, {
    service: 'presence-server',
    description: 'run the presence server; prints {"ready":true,...} once it listens',
    io,
    start: (c) => start({ presence: c.presence, realm: c.realm }),
    onStarted,
  });
  return runProgram('presence-server', p, argv, io);
}

/** Entry point of the `presence-server` command (bin/presence-server.js). */
export function main(): void {
  commandMain('presence-server', run);
}
