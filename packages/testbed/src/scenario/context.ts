/**
 * The context a scenario runs in: its steps and expectations, its UEs (built from the configured
 * subscribers: K and OPc as the HSS has them, so the USIM and the HSS agree), and the faults it may cause on
 * a testbed of its own.
 */
import { request } from 'node:https';
import { isDeepStrictEqual } from 'node:util';
import { opcFromOp } from '@ut-testbed/aka-crypto';
import { publicXcapRoot, type Config } from '@ut-testbed/config';
import type { TraceEvent, Tracer } from '@ut-testbed/trace';
import { createUa, UsimModel, UtClient, XcapClient, type Ua } from '@ut-testbed/ue-client';
import type { ServiceName, TestbedEndpoints } from '../compose';
import {
  DEFAULT_STEP_TIMEOUT_MS,
  ExpectationFailed,
  NO_STEP,
  realStepTimer,
  StepError,
  type Expectation,
  type ScenarioContext,
  type StepTimer,
  type UeOptions,
} from './types';

export interface ContextOptions {
  config: Config;
  endpoints: TestbedEndpoints;
  /** the AP's certificate (trust anchor of the UEs) */
  certificate?: string;
  own: boolean;
  /** the UE side's records (a target testbed's services record nothing here) */
  tracer?: Tracer;
  stop?: (s: ServiceName) => Promise<void>;
  advanceApClock?: (ms: number) => void;
  /** called as each step starts */
  onStep?: (name: string) => void;
  /** how long a step may take (ms); default {@link DEFAULT_STEP_TIMEOUT_MS} */
  stepTimeoutMs?: number;
  /** the clock of that bound (default: real timers) */
  stepTimer?: StepTimer;
  trace: () => readonly TraceEvent[];
  /** whether the services record into `trace` (not only the UE) */
  servicesTraced?: boolean;
  /** set on a testbed that outlives the run: {@link Context.fresh} names documents with it */
  runId?: string;
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v)));

export class Context implements ScenarioContext {
  readonly expectations: Expectation[] = [];
  readonly steps: string[] = [];
  private current: string | undefined;
  /** set once a step has run out of time: what it left running may not record or start anything more */
  private abandoned = false;
  private closed = false;
  private readonly clients: UtClient[] = [];
  private readonly uas: Ua[] = [];

  constructor(private readonly o: ContextOptions) {}

  get config(): Config {
    return this.o.config;
  }
  get endpoints(): TestbedEndpoints {
    return this.o.endpoints;
  }
  get own(): boolean {
    return this.o.own;
  }

  get servicesTraced(): boolean {
    return this.o.servicesTraced ?? false;
  }

  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (this.abandoned) throw new StepError(name, new Error('a step before it ran out of time'));
    const before = this.current;
    this.current = name;
    this.steps.push(name);
    this.o.onStep?.(name);
    const bound = this.o.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
    let disarm = () => undefined as void;
    const outOfTime = new Promise<never>((_, reject) => {
      disarm = (this.o.stepTimer ?? realStepTimer)(bound, () => {
        const e: Expectation = {
          step: name,
          what: 'time bound',
          ok: false,
          expected: `its end within ${bound} ms`,
          actual: 'no end',
        };
        this.expectations.push(e);
        this.abandoned = true;
        reject(new ExpectationFailed(e));
      });
    });
    try {
      const work = fn();
      // once the bound has fired nobody awaits the step's work: its late failure must not go unhandled
      work.catch(() => undefined);
      return await Promise.race([work, outOfTime]);
    } catch (e) {
      if (e instanceof ExpectationFailed || e instanceof StepError) throw e;
      throw new StepError(name, e);
    } finally {
      disarm();
      this.current = before;
    }
  }

  /** Where the scenario stood, for an error thrown outside every step. */
  where(): string {
    const last = this.steps[this.steps.length - 1];
    return last === undefined ? 'before the first step' : `after step "${last}"`;
  }

  expect(what: string, actual: unknown, expected: unknown): void {
    this.record(what, isDeepStrictEqual(actual, expected), show(expected), show(actual));
  }

  check(what: string, ok: boolean, expected: string, actual: unknown): void {
    this.record(what, ok, expected, show(actual));
  }

  /** What a step that ran out of time may no longer do: it stops at its next check or start of a client. */
  private live(): void {
    if (this.abandoned) throw new Error('the scenario ended: a step ran out of time');
  }

  private record(what: string, ok: boolean, expected: string, actual: string): void {
    this.live();
    const e: Expectation = { step: this.current ?? NO_STEP, what, ok, expected, actual };
    this.expectations.push(e);
    if (!ok) throw new ExpectationFailed(e);
  }

  ue(o: UeOptions = {}): { http: UtClient; xcap: XcapClient; impus: string[]; impi: string } {
    this.live();
    const sub = this.o.config.hss.subscribers[o.subscriber ?? 0];
    if (!sub) throw new Error(`hss.subscribers has no subscriber ${o.subscriber ?? 0}`);
    const opc = sub.opc ?? opcFromOp(Buffer.from(sub.k, 'hex'), Buffer.from(sub.op!, 'hex')).toString('hex');
    const usim = new UsimModel({ k: sub.k, opc, ...(o.usim ?? {}) });
    const root = this.xcapRoot;
    const impi = o.impi ?? sub.impi;
    const http = new UtClient({
      ap: new URL(root).origin,
      connectTo: this.o.endpoints.ap.https,
      ...(this.o.certificate ? { ca: this.o.certificate } : {}),
      impi,
      impus: [...sub.impus],
      usim,
      ...(o.quirks ? { quirks: o.quirks } : {}),
      ...(o.initialAuthorization ? { initialAuthorization: true } : {}),
      ...(this.o.tracer ? { tracer: this.o.tracer } : {}),
    });
    this.clients.push(http);
    return { http, xcap: new XcapClient({ root, http }), impus: [...sub.impus], impi };
  }

  get xcapRoot(): string {
    return publicXcapRoot(this.o.config);
  }

  async ua(subscriber: number): Promise<Ua> {
    this.live();
    const sub = this.o.config.hss.subscribers[subscriber];
    if (!sub) throw new Error(`hss.subscribers has no subscriber ${subscriber}`);
    const ps = this.o.endpoints.presence.udp ?? this.o.endpoints.presence.tcp!;
    const i = ps.lastIndexOf(':');
    const ua = await createUa({
      identity: sub.impus.find((u) => u.startsWith('sip:')) ?? sub.impus[0]!,
      proxy: {
        protocol: this.o.endpoints.presence.udp ? 'udp' : 'tcp',
        host: ps.slice(0, i),
        port: Number(ps.slice(i + 1)),
      },
      ...(this.o.tracer ? { tracer: this.o.tracer } : {}),
    });
    if (this.closed) {
      // the scenario ended (a step ran out of time) while this UA was being made: nobody would close it
      await ua.close();
      throw new Error('the scenario ended while a SIP UA was being created');
    }
    this.uas.push(ua);
    return ua;
  }

  async stop(service: ServiceName): Promise<void> {
    this.live();
    if (!this.o.own || !this.o.stop)
      throw new Error(`stopping ${service} needs a testbed of the scenario's own`);
    await this.o.stop(service);
  }

  advanceApClock(ms: number): void {
    if (!this.o.own || !this.o.advanceApClock)
      throw new Error("moving the AP's clock needs a testbed of its own");
    this.o.advanceApClock(ms);
  }

  raw(
    method: string,
    path: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; headers: Record<string, unknown> }> {
    this.live();
    const i = this.o.endpoints.ap.https.lastIndexOf(':');
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.o.endpoints.ap.https.slice(0, i).replace(/^\[|\]$/g, ''),
          port: Number(this.o.endpoints.ap.https.slice(i + 1)),
          servername: `xcap.${this.o.config.realm}`,
          method,
          path,
          headers: { Host: `xcap.${this.o.config.realm}:${this.o.config.ap.listen.port}`, ...headers },
          ...(this.o.certificate ? { ca: this.o.certificate } : {}),
          agent: false,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  fresh(name: string): string {
    return this.o.runId === undefined ? name : `${name}-${this.o.runId}`;
  }

  trace(): readonly TraceEvent[] {
    return this.o.trace();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.clients) c.close();
    // unsubscribed, with their final NOTIFYs taken: nothing is left on the presence server (a long-running
    // one under --target) and nothing is sent to a closed port
    for (const u of this.uas) await u.close({ clean: true });
  }
}
