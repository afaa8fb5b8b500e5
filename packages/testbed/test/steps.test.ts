/**
 * The steps' time bound: each step is armed on the step clock (10 s unless told) and disarmed when it ends;
 * a step still running when the bound fires fails with a "time bound" expectation naming it, and what it
 * left running records nothing more. Then for real: a scenario whose step waits for a NOTIFY that nobody
 * causes, on a testbed of its own, ends with that failure instead of hanging.
 */
import { parseConfig } from '@ut-testbed/config';
import pino from 'pino';
import { replay } from '../src/replay';
import { Context } from '../src/scenario/context';
import {
  DEFAULT_STEP_TIMEOUT_MS,
  ExpectationFailed,
  StepError,
  type Scenario,
  type StepTimer,
} from '../src/scenario/types';

/** A step clock driven by hand: what was armed, what is still armed, and a way to fire it. */
function handClock() {
  const armed: { ms: number; fire: () => void; live: boolean }[] = [];
  const timer: StepTimer = (ms, fire) => {
    const t = { ms, fire, live: true };
    armed.push(t);
    return () => {
      t.live = false;
    };
  };
  return { timer, armed, live: () => armed.filter((t) => t.live) };
}

function context(o: { stepTimer: StepTimer; stepTimeoutMs?: number }) {
  return new Context({
    config: parseConfig({}),
    endpoints: {
      hss: { diameter: '127.0.0.1:1' },
      xcap: { http: '127.0.0.1:1' },
      ap: { https: '127.0.0.1:1' },
      presence: { udp: '127.0.0.1:1' },
    },
    own: false,
    trace: () => [],
    ...o,
  });
}

test('each step is armed with the default bound and disarmed when it ends in time', async () => {
  const clock = handClock();
  const t = context({ stepTimer: clock.timer });
  await t.step('first', async () => t.expect('one', 1, 1));
  await t.step('second', async () => {
    await t.step('nested', async () => t.expect('two', 2, 2));
  });
  expect(clock.armed.map((a) => a.ms)).toEqual([
    DEFAULT_STEP_TIMEOUT_MS,
    DEFAULT_STEP_TIMEOUT_MS,
    DEFAULT_STEP_TIMEOUT_MS,
  ]);
  expect(DEFAULT_STEP_TIMEOUT_MS).toBe(10_000);
  expect(clock.live()).toEqual([]);
  expect(t.expectations.map((e) => [e.step, e.ok])).toEqual([
    ['first', true],
    ['nested', true],
  ]);
});

test('a step still running when its bound fires fails naming it; its work records nothing more', async () => {
  const clock = handClock();
  const t = context({ stepTimer: clock.timer, stepTimeoutMs: 2_500 });
  let late!: () => void;
  const never = new Promise<void>((resolve) => (late = resolve));
  const running = t.step('wait for what never comes', async () => {
    await never;
    t.expect('recorded after the bound', true, true);
  });
  expect(clock.live().map((a) => a.ms)).toEqual([2_500]);
  clock.live()[0]!.fire();
  const e = await running.catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ExpectationFailed);
  expect((e as Error).message).toBe(
    'step "wait for what never comes": time bound: expected its end within 2500 ms, got no end',
  );
  expect(clock.live()).toEqual([]);
  late();
  await Promise.resolve();
  expect(t.expectations.map((x) => [x.step, x.what, x.ok])).toEqual([
    ['wait for what never comes', 'time bound', false],
  ]);
  await expect(t.step('after it', async () => undefined)).rejects.toBeInstanceOf(StepError);
});

test('an error that is not an expectation names the step it came from', async () => {
  const t = context({ stepTimer: handClock().timer });
  const e = await t
    .step('outer', () =>
      t.step('read a document', async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:1');
      }),
    )
    .catch((x: unknown) => x);
  expect(e).toBeInstanceOf(StepError);
  expect((e as Error).message).toBe('step "read a document": connect ECONNREFUSED 127.0.0.1:1');
  expect(t.where()).toBe('after step "read a document"');
});

/** B watches its watchers, then waits for a watcher that nobody adds. */
const waitsForNobody: Scenario = {
  name: 'waits-for-nobody',
  summary: 'a winfo watch, then a NOTIFY that nothing causes',
  async run(t) {
    const ua = await t.ua(1);
    const uri = t.config.hss.subscribers[1]!.impus[0]!;
    const winfo = await t.step('B subscribes to its presence.winfo', async () => {
      const w = await ua.subscribe(uri, { event: 'presence.winfo', expires: 600 });
      const u = await w.next();
      t.expect('state', u.state, 'active');
      return w;
    });
    await t.step('B waits for a watcher that nobody adds', async () => {
      const u = await winfo.next();
      t.expect('a NOTIFY', u.state, 'never');
    });
  },
};

test('replay: a step waiting for a NOTIFY that never comes fails at its bound, naming the step', async () => {
  const r = await replay(waitsForNobody, {
    config: parseConfig({}),
    logger: pino({ level: 'silent' }),
    stepTimeoutMs: 300,
  });
  expect(r.ok).toBe(false);
  expect(r.failure).toBe(
    'step "B waits for a watcher that nobody adds": time bound: expected its end within 300 ms, got no end',
  );
  expect(r.steps).toEqual(['B subscribes to its presence.winfo', 'B waits for a watcher that nobody adds']);
  expect(r.expectations.map((e) => [e.what, e.ok])).toEqual([
    ['state', true],
    ['time bound', false],
  ]);
  // the watch was real: SUBSCRIBE, its 200 and the first NOTIFY went over the presence server's socket
  const methods = r.model.messages.map((m) => m.summary.replace(/ sip:.*$/, ''));
  expect(methods.slice(0, methods.indexOf('NOTIFY') + 1)).toEqual(
    expect.arrayContaining(['SUBSCRIBE', '200 OK (SUBSCRIBE)', 'NOTIFY']),
  );
});
