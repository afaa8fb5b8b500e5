/**
 * `sip-parse [FILE]` (DESIGN.md section 5): one SIP message from FILE or stdin. A valid message: exit 0 and
 * one JSON object on stdout (the method or the status, the Request-URI, each header field with its name and
 * value, list headers such as Via and Contact one value each). An invalid one: exit 1 and one stderr line
 * starting with the status a server would answer (`400 Bad Request: Content-Length exceeds ...`). The message
 * is read as one datagram; the request checks of a UAS without extensions apply (416, 420, 400).
 */
import { readFileSync } from 'node:fs';
import { commandMain, commandProgram, runProgram, type Io } from '@ut-testbed/service-kit';
import { checkRequest } from './check';
import { headerKey, LISTS } from './headers';
import { splitList } from './lexer';
import { parseMessage } from './parse';

function readInput(file: string | undefined): Buffer {
  return file === undefined || file === '-' ? readFileSync(0) : readFileSync(file);
}

class Invalid extends Error {}

export function run(
  argv: string[],
  io: Io,
  read: (file: string | undefined) => Buffer = readInput,
): Promise<number> {
  const p = commandProgram('sip-parse', 'parse one SIP message (stdin or FILE) and print it as JSON', io)
    .argument('[file]', 'the message (default: stdin)')
    .action((file: string | undefined) => {
      const r = parseMessage(read(file));
      if (!r.ok) {
        const what = r.kind === 'response' ? ' (a response: dropped)' : '';
        throw new Invalid(`${r.status} ${r.reason}: ${r.phrase}${what}`);
      }
      const m = r.message;
      if (m.kind === 'request') {
        const c = checkRequest(m);
        if (!c.ok) throw new Invalid(`${c.status} ${c.reason}: ${c.phrase}`);
      }
      const headers = m.headers.flatMap((h) => {
        const values = LISTS.has(headerKey(h.name)) ? splitList(h.value) : [h.value];
        return values.map((value) => ({ name: h.name, value }));
      });
      io.out(
        JSON.stringify({
          kind: m.kind,
          ...(m.kind === 'request'
            ? { method: m.method, uri: m.uri }
            : { status: m.status, reason: m.reason }),
          version: m.version,
          headers,
          bodyLength: m.body.length,
        }) + '\n',
      );
    });
  return runProgram('sip-parse', p, argv, {
    out: io.out,
    // the invalid message's line is the status line itself, without the command name in front
    err: (s) => io.err(s.replace(/^sip-parse: (?=\d{3} )/, '')),
  });
}

export function main(): void {
  commandMain('sip-parse', (argv, io) => run(argv, io));
}
