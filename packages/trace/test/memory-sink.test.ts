import { MemorySink, createTracer, type TraceEvent } from '../src';
import { traceEvent } from './fixtures';

describe('MemorySink', () => {
  it('keeps events in the order recorded', () => {
    const sink = new MemorySink();
    sink.record(traceEvent({ summary: 'a', ts: 3 }));
    sink.record(traceEvent({ summary: 'b', ts: 1 }));
    sink.record(traceEvent({ summary: 'c', ts: 2 }));
    expect(sink.events.map((e) => e.summary)).toEqual(['a', 'b', 'c']);
    expect(sink.size).toBe(3);
  });

  it('hands out a copy of its list', () => {
    const sink = new MemorySink();
    sink.record(traceEvent());
    const events = sink.events as TraceEvent[];
    events.pop();
    expect(events).toHaveLength(0);
    expect(sink.events).toHaveLength(1);
  });

  it('keeps what was recorded when the caller reuses its buffer or endpoint', () => {
    const sink = new MemorySink();
    const bytes = Buffer.from('INVITE');
    const from = { name: 'ue', host: '127.0.0.1', port: 1 };
    sink.record(traceEvent({ bytes, from }));
    bytes.write('XXXXXX');
    from.port = 2;
    expect(Buffer.from(sink.events[0]!.bytes).toString()).toBe('INVITE');
    expect(sink.events[0]?.from.port).toBe(1);
  });

  it('forgets events on clear', () => {
    const sink = new MemorySink();
    sink.record(traceEvent());
    sink.clear();
    expect(sink.events).toEqual([]);
    sink.record(traceEvent({ summary: 'after' }));
    expect(sink.events.map((e) => e.summary)).toEqual(['after']);
  });

  it('resolves waitFor at once with the first matching event already recorded', async () => {
    const sink = new MemorySink();
    sink.record(traceEvent({ summary: 'MAR 1' }));
    sink.record(traceEvent({ summary: 'MAR 2' }));
    const event = await sink.waitFor((e) => e.summary.startsWith('MAR'), 10);
    expect(event.summary).toBe('MAR 1');
  });

  it('resolves waitFor when a matching event arrives later, ignoring others', async () => {
    const sink = new MemorySink();
    const tracer = createTracer({ sinks: [sink] });
    const waiting = sink.waitFor((e) => e.summary === '201 Created');
    tracer.record(traceEvent({ summary: '401 Unauthorized' }));
    queueMicrotask(() => tracer.record(traceEvent({ summary: '201 Created', ts: 99 })));
    const event = await waiting;
    expect(event.ts).toBe(99);
    expect(sink.size).toBe(2);
  });

  it('serves several waiters from one event', async () => {
    const sink = new MemorySink();
    const a = sink.waitFor((e) => e.iface === 'Cx');
    const b = sink.waitFor((e) => e.proto === 'diameter');
    sink.record(traceEvent({ iface: 'Cx', proto: 'diameter', summary: 'MAA' }));
    const [ea, eb] = await Promise.all([a, b]);
    expect(ea.summary).toBe('MAA');
    expect(eb).toBe(ea);
  });

  it('rejects waitFor after the timeout, saying how many events it saw', async () => {
    const sink = new MemorySink();
    sink.record(traceEvent({ summary: 'other' }));
    await expect(sink.waitFor((e) => e.summary === 'never', 20)).rejects.toThrow(
      'no matching trace event within 20 ms (1 events recorded)',
    );
  });

  it('rejects waitFor when the predicate throws', async () => {
    const sink = new MemorySink();
    const waiting = sink.waitFor(() => {
      throw new Error('bad predicate');
    });
    sink.record(traceEvent());
    await expect(waiting).rejects.toThrow('bad predicate');
    sink.record(traceEvent());
    await expect(
      sink.waitFor(() => {
        throw new Error('bad again');
      }),
    ).rejects.toThrow('bad again');
  });

  it('rejects pending and new waitFor calls on close and refuses events, keeping what it has', async () => {
    const sink = new MemorySink();
    sink.record(traceEvent({ summary: 'kept' }));
    const pending = sink.waitFor((e) => e.summary === 'never', 10000);
    await sink.close();
    await expect(pending).rejects.toThrow(/closed/);
    await expect(sink.waitFor((e) => e.summary === 'never')).rejects.toThrow(/closed/);
    await expect(sink.waitFor((e) => e.summary === 'kept')).resolves.toMatchObject({ summary: 'kept' });
    expect(() => sink.record(traceEvent())).toThrow(/closed/);
    expect(sink.events.map((e) => e.summary)).toEqual(['kept']);
  });
});
