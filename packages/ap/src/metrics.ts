/** The AP's Prometheus metrics (DESIGN.md section 10), served on the admin listener. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics(handshakes: () => { full: number; resumed: number }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ap_' });
  const r = [registry];
  new Counter({
    name: 'ap_tls_handshakes_total',
    help: 'TLS handshakes completed, full or resumed',
    labelNames: ['kind'] as const,
    registers: r,
    collect() {
      const h = handshakes();
      this.reset();
      this.inc({ kind: 'full' }, h.full);
      this.inc({ kind: 'resumed' }, h.resumed);
    },
  });
  return {
    registry,
    challenges: new Counter({
      name: 'ap_digest_challenges_total',
      help: '401 challenges sent, by reason (initial, stale, resync, retry, unknown-nonce)',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    successes: new Counter({
      name: 'ap_auth_successes_total',
      help: 'Digest AKA authentications that succeeded',
      registers: r,
    }),
    failures: new Counter({
      name: 'ap_auth_failures_total',
      help: 'requests refused or challenged again, by reason',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    mar: new Histogram({
      name: 'ap_hss_request_seconds',
      help: 'time to the answer of the HSS, by command',
      labelNames: ['command', 'outcome'] as const,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 3],
      registers: r,
    }),
    requests: new Counter({
      name: 'ap_requests_total',
      help: 'HTTP requests answered, by status',
      labelNames: ['status'] as const,
      registers: r,
    }),
    requestSeconds: new Histogram({
      name: 'ap_request_seconds',
      help: 'time from the request to its answer',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5],
      registers: r,
    }),
    upstreamErrors: new Counter({
      name: 'ap_upstream_errors_total',
      help: 'requests the application server did not answer (502 unreachable, 504 timeout)',
      labelNames: ['status'] as const,
      registers: r,
    }),
  };
}

export type ApMetrics = ReturnType<typeof createMetrics>;
