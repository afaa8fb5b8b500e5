/**
 * The `xcap-server` command: `start` runs the XCAP server in the foreground and prints one ready line;
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
    'xcap-server',
    'an RFC 4825 XCAP server (resource-lists, rls-services, pres-rules, simservs, xcap-caps)',
    io,
  );
  addStartCommand(p, {
    service: 'xcap-server',
    description: 'run the XCAP server; prints {"ready":true,...} once it listens',
    io,
    start: (c) => start({ xcap: c.xcap }),
    onStarted,
  });
  return runProgram('xcap-server', p, argv, io);
}

/** Entry point of the `xcap-server` command (bin/xcap-server.js). */
export function main(): void {
  commandMain('xcap-server', run);
}
