/**
 * What a scenario is: steps, each with the expectations checked at it, run against a testbed (its own, or a
 * running one with `--target`). A failed expectation names the step, what was expected and what came.
 */
import type { Config } from '@ut-testbed/config';
import type { TraceEvent } from '@ut-testbed/trace';
import type { UtClient, UsimModelOptions, XcapClient, QuirksName, Ua } from '@ut-testbed/ue-client';
import type { ServiceName, TestbedEndpoints } from '../compose';

export interface Expectation {
  step: string;
  what: string;
  ok: boolean;
  expected: string;
  actual: string;
}

/** The step of an expectation checked outside every step (about the scenario as a whole). */
export const NO_STEP = '(scenario)';

export class ExpectationFailed extends Error {
  constructor(readonly expectation: Expectation) {
    super(
      `${expectation.step === NO_STEP ? 'the scenario' : `step "${expectation.step}"`}: ${expectation.what}: ` +
        `expected ${expectation.expected}, got ${expectation.actual}`,
    );
    this.name = 'ExpectationFailed';
  }
}

/** An error that stopped a step without being a failed expectation (a refused connection, a bad answer). */
export class StepError extends Error {
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(`step "${step}": ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StepError';
  }
}

/** How long a step may take by default: a NOTIFY or an answer that never comes fails the step instead. */
export const DEFAULT_STEP_TIMEOUT_MS = 10_000;

/**
 * The clock of the steps' time bound: arms a timer that calls `fire` after `ms`, and returns what disarms it.
 * Tests drive it by hand.
 */
export type StepTimer = (ms: number, fire: () => void) => () => void;

export const realStepTimer: StepTimer = (ms, fire) => {
  const t = setTimeout(fire, ms);
  return () => clearTimeout(t);
};

export interface UeOptions {
  /** index of the subscriber in hss.subscribers (0: user1) */
  subscriber?: number;
  quirks?: QuirksName;
  initialAuthorization?: boolean;
  /** USIM knobs */
  usim?: Pick<UsimModelOptions, 'sqnAhead' | 'corruptMac' | 'wrongRes'>;
  /** IMPI to claim instead of the subscriber's (an unknown IMPI) */
  impi?: string;
}

export interface ScenarioContext {
  readonly config: Config;
  readonly endpoints: TestbedEndpoints;
  /** whether the scenario runs on a testbed of its own (so it may stop services, move clocks) */
  readonly own: boolean;
  /**
   * a step: its expectations are checked as it runs; the first failed one ends the scenario, and so does a
   * step that has not ended within the time bound (a failed expectation "time bound") or one that throws
   * (a {@link StepError} naming it)
   */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** checks `actual` deep-equals `expected` (JSON), recording the outcome under the current step */
  expect(what: string, actual: unknown, expected: unknown): void;
  /** checks a predicate, with words for what was expected */
  check(what: string, ok: boolean, expected: string, actual: unknown): void;
  /** a UE on Ut: its USIM, its HTTPS client to the AP, its XCAP client for its default identity */
  ue(o?: UeOptions): { http: UtClient; xcap: XcapClient; impus: string[]; impi: string };
  /** a SIP UA for the subscriber's first public identity, sending to the presence server (closed at the end) */
  ua(subscriber: number): Promise<Ua>;
  /** the public XCAP root as a UE writes it (the AP's address under xcap.<realm>) */
  readonly xcapRoot: string;
  /** stops a service of the scenario's own testbed (faults) */
  stop(service: ServiceName): Promise<void>;
  /** moves the AP's clock forward (nonce expiry), own testbed only */
  advanceApClock(ms: number): void;
  /** one HTTPS request to the AP on a connection of its own, exactly these headers (no UE logic) */
  raw(
    method: string,
    path: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; headers: Record<string, unknown> }>;
  /** a document name new to the XCAP server: `name` on an own testbed, `name-<run>` on one that lives on */
  fresh(name: string): string;
  /** the messages recorded so far (the services' records on an own testbed, the UE's with --target) */
  trace(): readonly TraceEvent[];
  /**
   * whether the trace has the services' records (AP, HSS, XCAP server, presence server), or only the UE's
   * (with --target): what passes between the services can be checked only in the first case
   */
  readonly servicesTraced: boolean;
}

export interface Scenario {
  name: string;
  /** one line for `testbed scenarios` */
  summary: string;
  /** needs a testbed of its own (it stops services or moves clocks): not with --target */
  ownTestbed?: boolean;
  run(ctx: ScenarioContext): Promise<void>;
}
