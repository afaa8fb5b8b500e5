/** Prometheus metrics of one HSS instance (its own registry, so several instances can share a process). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics(openPeers: () => number) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hss_' });
  return {
    registry,
    requests: new Counter({
      name: 'hss_diameter_requests_total',
      help: 'Diameter requests answered, by command and outcome',
      labelNames: ['command', 'outcome'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'hss_diameter_request_duration_seconds',
      help: 'Time from a request to its answer inside the HSS, by command',
      labelNames: ['command'] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
      registers: [registry],
    }),
    vectors: new Counter({
      name: 'hss_vectors_issued_total',
      help: 'Authentication vectors issued',
      registers: [registry],
    }),
    peers: new Gauge({
      name: 'hss_diameter_peers',
      help: 'Open Diameter connections',
      registers: [registry],
      collect() {
        this.set(openPeers());
      },
    }),
  };
}

export type HssMetrics = ReturnType<typeof createMetrics>;
