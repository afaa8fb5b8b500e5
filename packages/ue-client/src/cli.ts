/**
 * The `ue` command (DESIGN.md section 5): a scriptable UE with its credentials from the config's
 * hss.subscribers or from flags. `ue xcap get|put|delete URL` makes one XCAP request over Ut through the AP
 * (./cli/xcap), `ue publish` and `ue subscribe URI` speak SIP presence to the presence server (./cli/sip).
 * JSON on stdout, progress (--verbose) and failures on stderr; exit 0 success, 1 the operation failed,
 * 2 bad usage.
 */
import { commandMain, commandProgram, runProgram, type Io } from '@ut-testbed/service-kit';
import { addSipCommands } from './cli/sip';
import { addXcapCommands } from './cli/xcap';

export type { Io };

/**
 * Runs one command; resolves with the exit code. `onStarted` receives what ends a running subscription
 * cleanly (commandMain calls it on SIGINT/SIGTERM).
 */
export function run(
  argv: string[],
  io: Io,
  onStarted: (close: () => Promise<void>) => void = () => undefined,
): Promise<number> {
  const p = commandProgram('ue', 'a scriptable UE: XCAP over Ut with Digest AKA, SIP presence', io)
    .showHelpAfterError('(add --help for usage)')
    .helpCommand(false);
  addXcapCommands(p, io);
  addSipCommands(p, io, onStarted);
  return runProgram('ue', p, argv, io);
}

/** Entry point of the `ue` command (bin/ue.js). */
export function main(): void {
  commandMain('ue', run);
}
