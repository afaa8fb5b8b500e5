/** The interface of the reference network a message travelled on. */
export type TraceIface = 'Ut' | 'Cx' | 'Zh' | 'Gm' | 'ISC' | 'AS';
/** The application protocol of a message. */
export type TraceProto = 'http' | 'diameter' | 'sip';
/** The transport a message travelled on; `tls` means TCP carrying TLS, traced as cleartext. */
export type TraceTransport = 'tcp' | 'udp' | 'tls';

export const TRACE_IFACES: readonly TraceIface[] = ['Ut', 'Cx', 'Zh', 'Gm', 'ISC', 'AS'];
export const TRACE_PROTOS: readonly TraceProto[] = ['http', 'diameter', 'sip'];
export const TRACE_TRANSPORTS: readonly TraceTransport[] = ['tcp', 'udp', 'tls'];

/** One end of a message: a logical name (e.g. `ue`, `ap`, `hss`) and the socket address. */
export interface TraceEndpoint {
  name: string;
  /** IPv4 or IPv6 literal, or a host name. */
  host: string;
  /** 0..65535 */
  port: number;
}

/** One protocol message, sent or received by a service. */
export interface TraceEvent {
  /** Unix epoch milliseconds; fractional values carry sub-millisecond precision. */
  ts: number;
  iface: TraceIface;
  proto: TraceProto;
  transport: TraceTransport;
  from: TraceEndpoint;
  to: TraceEndpoint;
  /** The exact wire bytes of the message; for TLS the cleartext as seen inside the terminator. */
  bytes: Uint8Array;
  /** One line, e.g. `MAR user1_private@home1.net`. */
  summary: string;
}

/** Where trace events go. `record` is synchronous; `close` resolves once everything is stored. */
export interface TraceSink {
  record(event: TraceEvent): void;
  close(): Promise<void>;
}

/** A trace event whose timestamp the tracer fills in from its clock when absent. */
export type TraceEventInput = Omit<TraceEvent, 'ts'> & { ts?: number };

/** Milliseconds since the Unix epoch. */
export type TraceClock = () => number;

/**
 * Wall-clock milliseconds since the Unix epoch with sub-millisecond precision
 * (`performance.timeOrigin + performance.now()`).
 */
export const systemClock: TraceClock = () => performance.timeOrigin + performance.now();

/**
 * What services hold: `emit` stamps and delivers an event. A tracer is itself a sink, so tracers can
 * be chained. Whoever creates a tracer closes it; services that are handed one do not.
 */
export interface Tracer extends TraceSink {
  /** False for the no-op tracer: callers may skip building summaries when nothing listens. */
  readonly enabled: boolean;
  /** Delivers the event to every sink, with `ts` taken from the clock when the input has none. */
  emit(event: TraceEventInput): TraceEvent;
  /** The tracer's clock: what to stamp a moment with that an event recorded later will carry as `ts`. */
  now(): number;
}

export interface TracerOptions {
  sinks: readonly TraceSink[];
  /** Stamps events emitted without `ts`. Default: {@link systemClock}. */
  clock?: TraceClock;
  /**
   * Called for each error a sink throws from `record` (and for events emitted after `close`). Without it,
   * the event still reaches every other sink and then `emit` throws the error (an `AggregateError` when
   * several sinks failed).
   */
  onError?: (error: unknown, sink: TraceSink | undefined) => void;
}

/** A tracer that fans each event out to several sinks, in the order they are given. */
export function createTracer(options: TracerOptions): Tracer {
  const sinks = [...options.sinks];
  const clock = options.clock ?? systemClock;
  const onError = options.onError;
  let closing: Promise<void> | undefined;

  const fail = (errors: { error: unknown; sink: TraceSink | undefined }[]): void => {
    if (errors.length === 0) return;
    if (onError) {
      for (const { error, sink } of errors) onError(error, sink);
      return;
    }
    if (errors.length === 1) throw errors[0]?.error;
    throw new AggregateError(
      errors.map((e) => e.error),
      `${errors.length} trace sinks failed to record an event`,
    );
  };

  const deliver = (event: TraceEvent): void => {
    if (closing) {
      fail([{ error: new Error('tracer is closed'), sink: undefined }]);
      return;
    }
    const errors: { error: unknown; sink: TraceSink }[] = [];
    for (const sink of sinks) {
      try {
        sink.record(event);
      } catch (error) {
        errors.push({ error, sink });
      }
    }
    fail(errors);
  };

  return {
    enabled: true,
    now: () => clock(),
    emit(input: TraceEventInput): TraceEvent {
      const event = stampEvent(input, clock);
      deliver(event);
      return event;
    },
    record(event: TraceEvent): void {
      deliver(event);
    },
    close(): Promise<void> {
      closing ??= Promise.allSettled(sinks.map((sink) => sink.close())).then((results) => {
        const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        if (failures.length === 1) throw failures[0];
        if (failures.length > 1)
          throw new AggregateError(failures, `${failures.length} trace sinks failed to close`);
      });
      return closing;
    },
  };
}

/** A tracer that records nothing, for services started without tracing. */
export function createNoopTracer(clock: TraceClock = systemClock): Tracer {
  return {
    enabled: false,
    now: () => clock(),
    emit: (input) => stampEvent(input, clock),
    record: () => undefined,
    close: () => Promise.resolve(),
  };
}

/** The shared no-op tracer. */
export const noopTracer: Tracer = createNoopTracer();

function stampEvent(input: TraceEventInput, clock: TraceClock): TraceEvent {
  const { ts, ...rest } = input;
  return { ts: ts ?? clock(), ...rest };
}

/**
 * Checks that `value` has the shape of a {@link TraceEvent} and returns it typed. Throws a `TypeError`
 * naming the first offending field, prefixed with `where` when given.
 */
export function assertTraceEvent(value: unknown, where = 'trace event'): TraceEvent {
  const fail = (field: string, why: string): never => {
    throw new TypeError(`${where}: ${field} ${why}`);
  };
  if (!isRecord(value)) return fail('value', 'is not an object');
  const { ts, iface, proto, transport, from, to, bytes, summary } = value;
  if (typeof ts !== 'number' || !Number.isFinite(ts)) fail('ts', 'is not a finite number');
  if (!(TRACE_IFACES as readonly unknown[]).includes(iface))
    fail('iface', `is not one of ${TRACE_IFACES.join('|')}`);
  if (!(TRACE_PROTOS as readonly unknown[]).includes(proto))
    fail('proto', `is not one of ${TRACE_PROTOS.join('|')}`);
  if (!(TRACE_TRANSPORTS as readonly unknown[]).includes(transport)) {
    fail('transport', `is not one of ${TRACE_TRANSPORTS.join('|')}`);
  }
  checkEndpoint(from, 'from', fail);
  checkEndpoint(to, 'to', fail);
  if (!(bytes instanceof Uint8Array)) fail('bytes', 'is not a Uint8Array');
  if (typeof summary !== 'string') fail('summary', 'is not a string');
  return value as unknown as TraceEvent;
}

function checkEndpoint(value: unknown, field: string, fail: (field: string, why: string) => never): void {
  if (!isRecord(value)) return fail(field, 'is not an object');
  if (typeof value.name !== 'string') fail(`${field}.name`, 'is not a string');
  if (typeof value.host !== 'string') fail(`${field}.host`, 'is not a string');
  const port = value.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    fail(`${field}.port`, 'is not an integer in 0..65535');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
