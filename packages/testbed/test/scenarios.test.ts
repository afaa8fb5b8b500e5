/**
 * Every scenario replayed on a testbed of its own (real services on free ports, one trace): each
 * expectation holds, and the ladder has the messages the flow is about.
 */
import { parseConfig } from '@ut-testbed/config';
import pino from 'pino';
import { replay } from '../src/replay';
import { findScenario, SCENARIOS } from '../src/scenarios';

const logger = pino({ level: 'silent' });

test.each(SCENARIOS.map((s) => [s.name, s] as const))('%s: every expectation holds', async (_n, s) => {
  const r = await replay(s, { config: parseConfig({}), logger });
  expect(r.failure).toBeUndefined();
  expect(r.ok).toBe(true);
  expect(r.expectations.length).toBeGreaterThan(0);
  expect(r.model.messages.length).toBeGreaterThan(0);
});

test('section3 with the AP set to AKAv1-MD5: the challenge checked against the configured algorithm', async () => {
  const r = await replay(findScenario('section3')!, {
    config: parseConfig({ ap: { auth: { algorithm: 'AKAv1-MD5' } } }),
    logger,
  });
  expect(r.failure).toBeUndefined();
  const challenge = r.expectations.find((e) => e.what.startsWith("the AP's first answer"));
  expect(challenge).toMatchObject({ ok: true, actual: '[401,"Digest","AKAv1-MD5"]' });
});

test('section3 and resync check the wire: Cx before the 401, the forwarded request, RAND‖AUTS in the MAR', async () => {
  const whats = async (name: string) =>
    (await replay(findScenario(name)!, { config: parseConfig({}), logger })).expectations
      .filter((e) => e.ok)
      .map((e) => e.what);
  expect(await whats('section3')).toEqual(
    expect.arrayContaining([
      'its nonce, base64 of RAND‖AUTN',
      'Sh and Cx with the HSS before the 401 (command, code, request, User-Name)',
      "the nonce's RAND‖AUTN is the MAA's SIP-Authenticate",
      "the UE's answer, then the request forwarded to the XCAP server: Authorization, X-3GPP-Asserted-Identity",
      'the 201 carries Authentication-Info with rspauth',
    ]),
  );
  expect(await whats('resync')).toEqual(
    expect.arrayContaining(['the MARs: SIP-Authorization of each (none, then RAND‖AUTS)']),
  );
});
