import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  JsonlSink,
  decodeJsonLine,
  encodeJsonLine,
  parseJsonLines,
  readJsonLines,
  type TraceEvent,
} from '../src';
import { AP, HSS, UE, patternBytes, traceEvent } from './fixtures';

const events: TraceEvent[] = [
  traceEvent({ ts: 1700000000123.456 }),
  traceEvent({
    ts: 1700000000124.5,
    from: AP,
    to: UE,
    bytes: Buffer.from('HTTP/1.1 401 Unauthorized\r\n\r\n'),
  }),
  traceEvent({
    ts: 1700000000125,
    iface: 'Cx',
    proto: 'diameter',
    from: { name: 'ap', host: '::1', port: 40000 },
    to: HSS,
    bytes: patternBytes(777),
    summary: 'MAR user1_private@home1.net "quoted" \u00e9',
  }),
  traceEvent({ transport: 'udp', bytes: new Uint8Array(0), summary: '' }),
];

function normalised(list: TraceEvent[]): unknown[] {
  return list.map((e) => ({ ...e, bytes: Buffer.from(e.bytes).toString('hex') }));
}

describe('JSON lines encoding', () => {
  it('writes one object with the event fields and bytes in base64', () => {
    const bytes = Buffer.from('GET / HTTP/1.1\r\n\r\n');
    const line = encodeJsonLine(traceEvent({ bytes }));
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      ts: 1700000000123.456,
      iface: 'Ut',
      proto: 'http',
      transport: 'tcp',
      from: UE,
      to: AP,
      bytes: bytes.toString('base64'),
      summary: 'GET /services',
    });
  });

  it('encodes only the bytes of a view, not its whole buffer', () => {
    const backing = Buffer.from('xxABCyy');
    const line = encodeJsonLine(
      traceEvent({ bytes: new Uint8Array(backing.buffer, backing.byteOffset + 2, 3) }),
    );
    expect(JSON.parse(line).bytes).toBe(Buffer.from('ABC').toString('base64'));
  });

  it('reads back what it writes, bytes as a Buffer', () => {
    const back = parseJsonLines(events.map(encodeJsonLine).join('\n') + '\n');
    expect(normalised(back)).toEqual(normalised(events));
    expect(back.every((e) => Buffer.isBuffer(e.bytes))).toBe(true);
  });

  it('skips blank lines, accepts CRLF, and ignores unknown fields', () => {
    const line = encodeJsonLine(events[0]!);
    const extra = JSON.stringify({ ...JSON.parse(encodeJsonLine(events[1]!)), note: 'x' });
    const back = parseJsonLines(`\n${line}\r\n   \n${extra}\n`);
    expect(normalised(back)).toEqual(normalised([events[0]!, events[1]!]));
    expect(back[1]).not.toHaveProperty('note');
  });

  it('parses a Uint8Array as UTF-8', () => {
    const back = parseJsonLines(Buffer.from(encodeJsonLine(events[2]!)));
    expect(back[0]?.summary).toBe(events[2]?.summary);
  });

  it.each<[string, string, RegExp]>([
    ['not JSON', '{"ts":', /^line 3: not valid JSON/],
    ['an array', '[1,2]', /^line 3: not a JSON object/],
    ['a number', '42', /^line 3: not a JSON object/],
    [
      'bad base64',
      JSON.stringify({ ...JSON.parse(encodeJsonLine(events[0]!)), bytes: 'R0V*' }),
      /^line 3: bytes/,
    ],
    [
      'missing bytes',
      JSON.stringify({ ...JSON.parse(encodeJsonLine(events[0]!)), bytes: undefined }),
      /^line 3: bytes/,
    ],
    [
      'bad iface',
      JSON.stringify({ ...JSON.parse(encodeJsonLine(events[0]!)), iface: 'Sh' }),
      /^line 3: iface/,
    ],
    [
      'bad port',
      JSON.stringify({ ...JSON.parse(encodeJsonLine(events[0]!)), to: { ...AP, port: -1 } }),
      /^line 3: to\.port/,
    ],
  ])('rejects %s with the line number', (_what, bad, message) => {
    const content = [encodeJsonLine(events[0]!), '', bad, encodeJsonLine(events[1]!)].join('\n');
    expect(() => parseJsonLines(content)).toThrow(message);
  });

  it('names the line given to decodeJsonLine', () => {
    expect(() => decodeJsonLine('nope', 17)).toThrow(/^line 17: /);
  });
});

describe('JsonlSink', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trace-jsonl-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one line per event; the file is complete when close resolves', async () => {
    const path = join(dir, 'trace.jsonl');
    const sink = new JsonlSink(path);
    await sink.ready();
    for (const event of events) sink.record(event);
    await sink.close();
    const text = await readFile(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(events.length + 1);
    expect(text).toBe(events.map((e) => encodeJsonLine(e) + '\n').join(''));
    expect(normalised(await readJsonLines(path))).toEqual(normalised(events));
  });

  it('writes a large trace completely', async () => {
    const path = join(dir, 'big.jsonl');
    const sink = new JsonlSink(path);
    const many = Array.from({ length: 500 }, (_, i) => traceEvent({ ts: i, bytes: patternBytes(2000 + i) }));
    for (const event of many) sink.record(event);
    await sink.close();
    const back = await readJsonLines(path);
    expect(back).toHaveLength(500);
    expect(Buffer.from(back[499]!.bytes).equals(patternBytes(2499))).toBe(true);
  });

  it('writes an empty file for no events', async () => {
    const path = join(dir, 'empty.jsonl');
    await new JsonlSink(path).close();
    expect(await readFile(path, 'utf8')).toBe('');
    expect(await readJsonLines(path)).toEqual([]);
  });

  it('writes to a stream it is given', async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    const sink = new JsonlSink(stream);
    sink.record(events[0]!);
    await sink.close();
    expect(Buffer.concat(chunks).toString()).toBe(encodeJsonLine(events[0]!) + '\n');
  });

  it('finishes a given duplex stream even when nobody reads it', async () => {
    const stream = new PassThrough();
    const sink = new JsonlSink(stream);
    sink.record(events[2]!);
    await expect(sink.close()).resolves.toBeUndefined();
    expect(stream.writableFinished).toBe(true);
  });

  it('refuses events after close', async () => {
    const sink = new JsonlSink(join(dir, 'closed.jsonl'));
    await sink.close();
    expect(() => sink.record(events[0]!)).toThrow(/closed/);
  });

  it('reports a file that cannot be opened', async () => {
    const sink = new JsonlSink(join(dir, 'no', 'such', 'dir.jsonl'));
    await expect(sink.ready()).rejects.toThrow(/ENOENT/);
    expect(() => sink.record(events[0]!)).toThrow(/ENOENT/);
    await expect(sink.close()).rejects.toThrow(/ENOENT/);
  });

  it('readJsonLines names the malformed line of a file', async () => {
    const path = join(dir, 'bad.jsonl');
    await writeFile(path, `${encodeJsonLine(events[0]!)}\n${encodeJsonLine(events[1]!)}\n{oops}\n`);
    await expect(readJsonLines(path)).rejects.toThrow(/^line 3: not valid JSON/);
  });
});
