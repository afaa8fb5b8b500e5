import { readFile } from 'node:fs/promises';
import { assertTraceEvent, type TraceEvent, type TraceSink } from './event';
import { StreamOutput, type OutputTarget } from './file-output';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * One event as one line of JSON, without the trailing newline. The fields keep their names and values,
 * in the order of {@link TraceEvent}, except `bytes`, which is written as a standard base64 string
 * (RFC 4648 section 4, padded).
 */
export function encodeJsonLine(event: TraceEvent): string {
  return JSON.stringify({
    ts: event.ts,
    iface: event.iface,
    proto: event.proto,
    transport: event.transport,
    from: { name: event.from.name, host: event.from.host, port: event.from.port },
    to: { name: event.to.name, host: event.to.host, port: event.to.port },
    bytes: Buffer.from(event.bytes.buffer, event.bytes.byteOffset, event.bytes.byteLength).toString('base64'),
    summary: event.summary,
  });
}

/**
 * Parses one line written by {@link encodeJsonLine}; `bytes` comes back as a `Buffer`. Fields other than
 * those of {@link TraceEvent} are ignored. Throws an `Error` that names `lineNumber` when the line is not
 * JSON or not a trace event.
 */
export function decodeJsonLine(line: string, lineNumber = 1): TraceEvent {
  const where = `line ${lineNumber}`;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new Error(`${where}: not valid JSON (${error instanceof Error ? error.message : String(error)})`, {
      cause: error,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where}: not a JSON object`);
  }
  const raw = value as Record<string, unknown>;
  if (typeof raw.bytes !== 'string' || !BASE64.test(raw.bytes)) {
    throw new Error(`${where}: bytes is not a base64 string`);
  }
  const candidate = { ...raw, bytes: Buffer.from(raw.bytes, 'base64') };
  const event = assertTraceEvent(candidate, where);
  return {
    ts: event.ts,
    iface: event.iface,
    proto: event.proto,
    transport: event.transport,
    from: { name: event.from.name, host: event.from.host, port: event.from.port },
    to: { name: event.to.name, host: event.to.host, port: event.to.port },
    bytes: event.bytes,
    summary: event.summary,
  };
}

/**
 * Parses the content of a JSON-lines trace. Empty and whitespace-only lines are skipped; CRLF line ends are
 * accepted. Throws on the first malformed line with an `Error` naming its (1-based) line number.
 */
export function parseJsonLines(content: string | Uint8Array): TraceEvent[] {
  const text = typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
  const events: TraceEvent[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    events.push(decodeJsonLine(line.endsWith('\r') ? line.slice(0, -1) : line, index + 1));
  });
  return events;
}

/** Reads a JSON-lines trace file; see {@link parseJsonLines}. */
export async function readJsonLines(path: string): Promise<TraceEvent[]> {
  return parseJsonLines(await readFile(path));
}

/**
 * Writes each event as one line of JSON ({@link encodeJsonLine}) followed by `\n`, through a
 * `fs.WriteStream` opened on `target` or the stream given. `close` ends the stream and resolves once the
 * file is complete.
 */
export class JsonlSink implements TraceSink {
  private readonly output: StreamOutput;

  constructor(target: OutputTarget) {
    this.output = new StreamOutput(target);
  }

  /** Resolves when the file is open; rejects if it cannot be opened. */
  ready(): Promise<void> {
    return this.output.ready();
  }

  record(event: TraceEvent): void {
    if (this.output.ended) throw new Error('JsonlSink is closed');
    this.output.write(encodeJsonLine(event) + '\n');
  }

  close(): Promise<void> {
    return this.output.end();
  }
}
