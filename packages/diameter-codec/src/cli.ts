/**
 * The `diameter` command (DESIGN.md section 5): `diameter decode [--hex HEX]` or raw bytes on stdin prints the
 * message as a JSON tree. Exit 0: decoded (an unknown AVP with M set is shown and flagged, since only the
 * receiving application rejects it). Exit 1: a protocol error (5014, 5015, a truncated header, 3008, 3009,
 * 5004, 5011): the tree of what was read still goes to stdout, the result code and reason to stderr.
 * Exit 2: bad usage (e.g. --hex that is not hex).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { decodeMessage } from './codec/message';
import { decodeResultTree } from './tree';

export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** Raw bytes of standard input, read only when --hex is not given. */
  stdin(): Buffer;
}

class UsageError extends Error {}

/** Hex with optional whitespace, colons and a 0x prefix, e.g. copied from Wireshark. */
export function parseHex(text: string): Buffer {
  const s = text.replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(s)) throw new UsageError('--hex: not hexadecimal');
  if (s.length % 2 !== 0) throw new UsageError('--hex: odd number of hex digits');
  return Buffer.from(s, 'hex');
}

function program(io: Io, setCode: (n: number) => void): Command {
  const p = new Command('diameter')
    .description('Diameter (RFC 6733, Cx/Zh/Sh) tools; JSON on stdout')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.err(s), writeErr: (s) => io.err(s) })
    .exitOverride();
  p.command('decode')
    .description('decode one message (from --hex, or raw bytes on stdin) into a JSON tree')
    .option('--hex <hex>', 'the message as hex (whitespace and colons allowed)')
    .action((o: { hex?: string }) => {
      const bytes = o.hex !== undefined ? parseHex(o.hex) : io.stdin();
      const r = decodeMessage(bytes);
      io.out(JSON.stringify(decodeResultTree(r), null, 2) + '\n');
      if (r.error && r.error.resultCode !== 5001) {
        io.err(`diameter: ${r.error.resultCode} ${r.error.name}: ${r.error.reason}\n`);
        setCode(1);
      }
    });
  return p;
}

/** Runs the command; returns the exit code instead of exiting, so tests can call it in-process. */
export function run(argv: string[], io: Io): number {
  let code = 0;
  try {
    program(io, (n) => (code = n)).parse(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    }
    const msg = e instanceof Error ? e.message : String(e);
    io.err(`diameter: ${msg}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

/** Entry point of the `diameter` command (bin/diameter.js). */
export function main(): void {
  process.exitCode = run(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    stdin: () => readFileSync(0),
  });
}
