/**
 * Every scenario replayed on a testbed of its own (real services on free ports, one trace): each
 * expectation holds, and the ladder has the messages the flow is about.
 */
import { parseConfig } from '@ut-testbed/config';
import pino from 'pino';
import { replay } from '../src/replay';
import { SCENARIOS } from '../src/scenarios';

const logger = pino({ level: 'silent' });

test.each(SCENARIOS.map((s) => [s.name, s] as const))('%s: every expectation holds', async (_n, s) => {
  const r = await replay(s, { config: parseConfig({}), logger });
  expect(r.failure).toBeUndefined();
  expect(r.ok).toBe(true);
  expect(r.expectations.length).toBeGreaterThan(0);
  expect(r.model.messages.length).toBeGreaterThan(0);
});
