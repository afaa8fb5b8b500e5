/**
 * `testbed replay <scenario>`: the scenario on a testbed of its own (every service in this process on free
 * ports, all recording into one trace) or against a running one (`target`: the services at their configured
 * addresses; only the UE's side is recorded then). The result: the expectations checked, the ladder model
 * (one arrow per message), and on request the files trace.pcapng, trace.jsonl, ladder.html and ladder.mmd.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '@ut-testbed/config';
import { decodeMessage, decodeResultTree } from '@ut-testbed/diameter-codec';
import { createTracer, encodeJsonLine, encodePcapng, MemorySink, type TraceEvent } from '@ut-testbed/trace';
import type { Logger } from 'pino';
import { SERVICES, startTestbed, type Testbed, type TestbedEndpoints } from './compose';
import {
  DEFAULT_COLUMNS,
  ladderModel,
  renderHtml,
  renderMermaid,
  type ColumnMapping,
  type LadderModel,
} from './ladder';
import { Context } from './scenario/context';
import {
  ExpectationFailed,
  StepError,
  type Expectation,
  type Scenario,
  type StepTimer,
} from './scenario/types';

export interface ReplayOptions {
  config: Config;
  /** run against the services at the configured addresses instead of a testbed of its own */
  target?: { endpoints: TestbedEndpoints; certificate?: string };
  /** an own testbed already started (npm start replays against itself): its trace is `sink` */
  testbed?: { tb: Testbed; sink: MemorySink };
  traceDir?: string;
  logger: Logger;
  progress?: (line: string) => void;
  /** how long each step may take (ms; default 10 s): past it the step fails, naming itself */
  stepTimeoutMs?: number;
  /** the clock of that bound (tests) */
  stepTimer?: StepTimer;
}

export interface ReplayResult {
  scenario: string;
  ok: boolean;
  steps: string[];
  expectations: Expectation[];
  /** the failed expectation, or the error that stopped the scenario */
  failure?: string;
  model: LadderModel;
  /** the files written into traceDir */
  files: string[];
  ms: number;
}

/**
 * The testbed's columns: there is no S-CSCF in it, so the UEs' SIP requests reach the presence server
 * straight from a trusted peer address (ISC in its trace): that peer is the UE.
 */
export const TESTBED_COLUMNS: ColumnMapping = {
  columns: DEFAULT_COLUMNS.columns,
  rules: [{ name: 'peer', iface: 'ISC', column: 'UE' }, ...DEFAULT_COLUMNS.rules],
};

/** Diameter bytes as the decoder's JSON tree, for the HTML page. */
export function decodeForPage(e: TraceEvent): string | undefined {
  if (e.proto !== 'diameter') return undefined;
  return JSON.stringify(decodeResultTree(decodeMessage(Buffer.from(e.bytes))), null, 2);
}

/** One record per message (the ladder's merge of the two sides' records), in time order. */
export function uniqueEvents(model: LadderModel): TraceEvent[] {
  return model.messages.map((m) => m.records[0]!);
}

export function writeTraceFiles(model: LadderModel, dir: string, title: string): string[] {
  mkdirSync(dir, { recursive: true });
  const events = uniqueEvents(model);
  const files: [string, string | Buffer][] = [
    ['trace.pcapng', encodePcapng(events)],
    ['trace.jsonl', events.map((e) => encodeJsonLine(e) + '\n').join('')],
    ['ladder.html', renderHtml(model, { title, decode: decodeForPage })],
    ['ladder.mmd', renderMermaid(model)],
  ];
  for (const [name, data] of files) writeFileSync(join(dir, name), data);
  return files.map(([name]) => join(dir, name));
}

export async function replay(scenario: Scenario, o: ReplayOptions): Promise<ReplayResult> {
  const started = performance.now();
  const sink = o.testbed?.sink ?? new MemorySink();
  const tracer = createTracer({ sinks: [sink] });
  const own = o.target === undefined;
  if (!own && scenario.ownTestbed)
    throw new Error(`${scenario.name} stops services or moves clocks: it runs only on a testbed of its own`);
  let skew = 0;
  let tb: Testbed | undefined = o.testbed?.tb;
  const mine = own && !tb;
  if (mine) {
    tb = await startTestbed({
      config: o.config,
      freePorts: true,
      tracer,
      logger: o.logger,
      apNow: () => Date.now() + skew,
      ...(o.progress ? { progress: o.progress } : {}),
    });
  }
  const from = sink.size;
  const servicesHere = own && (tb === undefined || SERVICES.every((s) => tb!.started.includes(s)));
  const ctx = new Context({
    config: tb ? tb.config : o.config,
    endpoints: tb ? tb.endpoints : o.target!.endpoints,
    ...(tb?.certificate
      ? { certificate: tb.certificate }
      : o.target?.certificate
        ? { certificate: o.target.certificate }
        : {}),
    own: mine,
    // the UE records what no service of this process records: all of it on a target, or with some services
    // running elsewhere (testbed up --services)
    ...(servicesHere ? {} : { tracer }),
    ...(tb ? { stop: (s) => tb!.stop(s) } : {}),
    advanceApClock: (ms) => (skew += ms),
    onStep: (name) => o.progress?.(`step: ${name}`),
    ...(o.stepTimeoutMs !== undefined ? { stepTimeoutMs: o.stepTimeoutMs } : {}),
    ...(o.stepTimer ? { stepTimer: o.stepTimer } : {}),
    trace: () => sink.events.slice(from),
    // the services record into the sink unless one of them runs elsewhere (--target, up --services)
    servicesTraced: servicesHere,
    // on a testbed that lives on, documents are named for this run so that a second run starts fresh
    ...(mine ? {} : { runId: Date.now().toString(36) }),
  });
  let failure: string | undefined;
  try {
    await scenario.run(ctx);
  } catch (e) {
    failure =
      e instanceof ExpectationFailed || e instanceof StepError
        ? e.message
        : `${ctx.where()}: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    await ctx.close();
    if (mine) await tb!.close();
  }
  const model = ladderModel(sink.events.slice(from), TESTBED_COLUMNS);
  const files = o.traceDir ? writeTraceFiles(model, o.traceDir, `testbed replay ${scenario.name}`) : [];
  return {
    scenario: scenario.name,
    ok: failure === undefined,
    steps: ctx.steps,
    expectations: ctx.expectations,
    ...(failure !== undefined ? { failure } : {}),
    model,
    files,
    ms: performance.now() - started,
  };
}
