import type { TraceEndpoint, TraceEvent } from '../src';

export const UE: TraceEndpoint = { name: 'ue', host: '127.0.0.1', port: 50000 };
export const AP: TraceEndpoint = { name: 'ap', host: '127.0.0.1', port: 8443 };
export const HSS: TraceEndpoint = { name: 'hss', host: '127.0.0.1', port: 3868 };
export const PS: TraceEndpoint = { name: 'ps', host: '127.0.0.1', port: 5060 };

/** 2023-11-14T22:13:20.123456Z */
export const T0 = 1700000000123.456;

export function traceEvent(overrides: Partial<TraceEvent> = {}): TraceEvent {
  return {
    ts: T0,
    iface: 'Ut',
    proto: 'http',
    transport: 'tcp',
    from: UE,
    to: AP,
    bytes: Buffer.from('GET /services HTTP/1.1\r\nHost: xcap.home1.net\r\n\r\n'),
    summary: 'GET /services',
    ...overrides,
  };
}

/** Bytes whose values depend on their position, so misplaced chunks show. */
export function patternBytes(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
  return bytes;
}
