import {
  MemorySink,
  assertTraceEvent,
  createNoopTracer,
  createTracer,
  noopTracer,
  systemClock,
  type TraceEvent,
  type TraceSink,
} from '../src';
import { traceEvent } from './fixtures';

function failingSink(message: string): TraceSink & { closed: boolean } {
  return {
    closed: false,
    record() {
      throw new Error(message);
    },
    close() {
      this.closed = true;
      return Promise.resolve();
    },
  };
}

describe('createTracer', () => {
  it('delivers each event to every sink, in order', () => {
    const a = new MemorySink();
    const b = new MemorySink();
    const tracer = createTracer({ sinks: [a, b], clock: () => 42 });
    tracer.emit({ ...traceEvent(), ts: undefined, summary: 'one' });
    tracer.emit({ ...traceEvent(), ts: undefined, summary: 'two' });
    expect(a.events.map((e) => e.summary)).toEqual(['one', 'two']);
    expect(b.events.map((e) => e.summary)).toEqual(['one', 'two']);
    expect(tracer.enabled).toBe(true);
  });

  it('now() reads the clock it stamps with', () => {
    let t = 5;
    const tracer = createTracer({ sinks: [], clock: () => t });
    expect(tracer.now()).toBe(5);
    t = 7.5;
    expect([tracer.now(), tracer.emit({ ...traceEvent(), ts: undefined }).ts]).toEqual([7.5, 7.5]);
    expect(createNoopTracer(() => 3).now()).toBe(3);
  });

  it('stamps events without ts from its clock and keeps a given ts', () => {
    const sink = new MemorySink();
    let now = 1000.25;
    const tracer = createTracer({ sinks: [sink], clock: () => now });
    const { ts: _ignored, ...withoutTs } = traceEvent();
    const stamped = tracer.emit(withoutTs);
    now = 2000.5;
    tracer.emit(withoutTs);
    tracer.emit({ ...withoutTs, ts: 7 });
    expect(stamped.ts).toBe(1000.25);
    expect(sink.events.map((e) => e.ts)).toEqual([1000.25, 2000.5, 7]);
  });

  it('returns the event it delivered', () => {
    const sink = new MemorySink();
    const tracer = createTracer({ sinks: [sink], clock: () => 5 });
    const { ts: _ignored, ...input } = traceEvent({ summary: 'returned' });
    const event = tracer.emit(input);
    expect(event).toEqual({ ...input, ts: 5 });
    expect(sink.events[0]).toEqual(event);
  });

  it('uses the system clock by default, in epoch milliseconds', () => {
    const sink = new MemorySink();
    const tracer = createTracer({ sinks: [sink] });
    const before = Date.now();
    const { ts: _ignored, ...input } = traceEvent();
    const { ts } = tracer.emit(input);
    const after = Date.now();
    // performance.timeOrigin and Date.now() may differ by a millisecond of rounding.
    expect(ts).toBeGreaterThanOrEqual(before - 1);
    expect(ts).toBeLessThanOrEqual(after + 1);
    expect(systemClock()).toBeGreaterThanOrEqual(ts);
  });

  it('still reaches the other sinks when one throws, then throws its error', () => {
    const good = new MemorySink();
    const tracer = createTracer({ sinks: [failingSink('disk full'), good] });
    expect(() => tracer.record(traceEvent())).toThrow('disk full');
    expect(good.size).toBe(1);
  });

  it('throws an AggregateError when several sinks throw', () => {
    const tracer = createTracer({ sinks: [failingSink('a'), failingSink('b')] });
    let caught: unknown;
    try {
      tracer.record(traceEvent());
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AggregateError);
    expect((caught as AggregateError).errors.map((e: Error) => e.message)).toEqual(['a', 'b']);
  });

  it('hands sink errors to onError instead of throwing', () => {
    const bad = failingSink('nope');
    const seen: [string, TraceSink | undefined][] = [];
    const tracer = createTracer({
      sinks: [bad],
      onError: (error, sink) => seen.push([(error as Error).message, sink]),
    });
    expect(() => tracer.record(traceEvent())).not.toThrow();
    expect(seen).toEqual([['nope', bad]]);
  });

  it('closes every sink once and refuses events afterwards', async () => {
    const a = new MemorySink();
    const b = failingSink('unused');
    const tracer = createTracer({ sinks: [a, b] });
    const first = tracer.close();
    expect(tracer.close()).toBe(first);
    await first;
    expect(b.closed).toBe(true);
    expect(() => a.record(traceEvent())).toThrow(/closed/);
    expect(() => tracer.record(traceEvent())).toThrow('tracer is closed');
  });

  it('rejects close with the error of a sink that fails to close, after closing the others', async () => {
    const other = new MemorySink();
    const broken: TraceSink = { record: () => undefined, close: () => Promise.reject(new Error('EIO')) };
    const tracer = createTracer({ sinks: [broken, other] });
    await expect(tracer.close()).rejects.toThrow('EIO');
    expect(() => other.record(traceEvent())).toThrow(/closed/);
  });

  it('can be a sink of another tracer', () => {
    const sink = new MemorySink();
    const inner = createTracer({ sinks: [sink] });
    const outer = createTracer({ sinks: [inner], clock: () => 9 });
    outer.emit({ ...traceEvent(), ts: undefined });
    expect(sink.events.map((e) => e.ts)).toEqual([9]);
  });
});

describe('no-op tracer', () => {
  it('records nothing, says it is disabled, and still stamps the event it returns', async () => {
    const tracer = createNoopTracer(() => 3);
    expect(tracer.enabled).toBe(false);
    const { ts: _ignored, ...input } = traceEvent();
    expect(tracer.emit(input).ts).toBe(3);
    expect(noopTracer.enabled).toBe(false);
    expect(() => noopTracer.record(traceEvent())).not.toThrow();
    await expect(noopTracer.close()).resolves.toBeUndefined();
  });
});

describe('assertTraceEvent', () => {
  it('accepts a trace event', () => {
    const event = traceEvent();
    expect(assertTraceEvent(event)).toBe(event);
  });

  it.each<[string, Record<string, unknown>]>([
    ['ts', { ts: 'now' }],
    ['ts', { ts: Number.POSITIVE_INFINITY }],
    ['iface', { iface: 'Sh' }],
    ['proto', { proto: 'ftp' }],
    ['transport', { transport: 'sctp' }],
    ['from', { from: null }],
    ['from.port', { from: { name: 'ue', host: '127.0.0.1', port: 65536 } }],
    ['to.host', { to: { name: 'ap', port: 1 } }],
    ['to.name', { to: { host: 'x', port: 1 } }],
    ['bytes', { bytes: 'R0VU' }],
    ['summary', { summary: 1 }],
  ])('names the bad field %s', (field, change) => {
    const bad = { ...traceEvent(), ...change } as unknown as TraceEvent;
    expect(() => assertTraceEvent(bad, 'here')).toThrow(new RegExp(`^here: ${field.replace('.', '\\.')} `));
  });
});
