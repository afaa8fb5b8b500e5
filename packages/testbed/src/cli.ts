/**
 * The `testbed` command (DESIGN.md section 5):
 * - `testbed up [--config F] [--endpoints-file F] [--services a,b] [--replay S]`: the services in this
 *   process; the AP's certificate written next to the databases when it is generated; with `--replay` a
 *   scenario is replayed against them first and its ladder printed on stderr; then the ready line, and up
 *   until SIGINT/SIGTERM.
 * - `testbed replay <scenario> [--config F] [--target] [--ca F] [--trace-dir D] [--format text|mermaid|html|json]
 *   [--step-timeout MS]`: the ladder on stdout (colour on a TTY), exit 0 only if every expectation held.
 * - `testbed scenarios`: one line each.
 * Logs go to stderr (warnings only, unless LOG_LEVEL), machine output to stdout.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  commandConfig,
  commandMain,
  commandProgram,
  runProgram,
  UsageError,
  type Io,
} from '@ut-testbed/service-kit';
import { apCertificatePath } from '@ut-testbed/config';
import { createTracer, MemorySink } from '@ut-testbed/trace';
import pino from 'pino';
import { SERVICES, startTestbed, type ServiceName, type TestbedEndpoints } from './compose';
import { renderHtml, renderMermaid, renderText } from './ladder';
import { decodeForPage, replay, type ReplayResult } from './replay';
import { DEFAULT_STEP_TIMEOUT_MS } from './scenario/types';
import { findScenario, SCENARIOS } from './scenarios';

export type { Io };

const FORMATS = ['text', 'mermaid', 'html', 'json'] as const;
type Format = (typeof FORMATS)[number];

export interface RunOptions {
  /** whether stdout is a terminal (colour) */
  tty?: boolean;
  onStarted?: (close: () => Promise<void>) => void;
}

function logger() {
  return pino({ name: 'testbed', level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
}

function parseServices(v: string | undefined): ServiceName[] | undefined {
  if (v === undefined) return undefined;
  const names = v.split(',').map((s) => s.trim());
  for (const n of names)
    if (!(SERVICES as readonly string[]).includes(n))
      throw new UsageError(`--services: "${n}" is not a service (${SERVICES.join(', ')})`);
  return names as ServiceName[];
}

const MAX_TIMER_MS = 2 ** 31 - 1;

function parseStepTimeout(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = Number(v);
  // a timer fires at once beyond 2^31 - 1 ms
  if (!/^\d+$/.test(v) || ms <= 0 || ms > MAX_TIMER_MS)
    throw new UsageError(`--step-timeout: "${v}" is not a number of milliseconds from 1 to ${MAX_TIMER_MS}`);
  return ms;
}

/** The ladder of a result in the chosen format. */
export function formatResult(r: ReplayResult, format: Format, color: boolean): string {
  switch (format) {
    case 'mermaid':
      return renderMermaid(r.model);
    case 'html':
      return renderHtml(r.model, { title: `testbed replay ${r.scenario}`, decode: decodeForPage });
    case 'json':
      return (
        JSON.stringify({
          scenario: r.scenario,
          ok: r.ok,
          ...(r.failure !== undefined ? { failure: r.failure } : {}),
          steps: r.steps,
          expectations: r.expectations,
          messages: r.model.messages.map((m) => ({
            ts: m.ts,
            iface: m.iface,
            from: m.from,
            to: m.to,
            summary: m.summary,
          })),
          files: r.files,
          ms: Math.round(r.ms),
        }) + '\n'
      );
    default:
      return renderText(r.model, { color });
  }
}

interface UpOptions {
  config?: string;
  endpointsFile?: string;
  services?: string;
  replay?: string;
  stepTimeout?: string;
}

export function run(argv: string[], io: Io, o: RunOptions = {}): Promise<number> {
  const p = commandProgram('testbed', 'the Ut testbed: every service in one process, scenarios, ladders', io);
  let code = 0;

  p.command('scenarios')
    .description('list the scenarios, one line each')
    .action(() => {
      for (const s of SCENARIOS) io.out(`${s.name.padEnd(22)} ${s.summary}\n`);
    });

  p.command('replay')
    .argument('<scenario>', 'the scenario (testbed scenarios lists them)')
    .description('replay a scenario, print its ladder; exit 0 only if every expectation held')
    .option('--config <file>', 'configuration file (default config/testbed.yaml when present)')
    .option('--target', 'against the services running at the configured addresses, not a testbed of its own')
    .option('--ca <file>', "with --target: the AP's certificate (PEM)")
    .option('--trace-dir <dir>', 'write trace.pcapng, trace.jsonl, ladder.html and ladder.mmd there')
    .option('--format <format>', `the ladder on stdout: ${FORMATS.join(', ')}`, 'text')
    .option(
      '--step-timeout <ms>',
      `how long a step may take before it fails (default ${DEFAULT_STEP_TIMEOUT_MS})`,
    )
    .action(
      async (
        name: string,
        opts: {
          config?: string;
          target?: boolean;
          ca?: string;
          traceDir?: string;
          format: string;
          stepTimeout?: string;
        },
      ) => {
        const scenario = findScenario(name);
        if (!scenario)
          throw new UsageError(`no scenario "${name}": testbed scenarios lists ${SCENARIOS.length} of them`);
        if (!(FORMATS as readonly string[]).includes(opts.format))
          throw new UsageError(`--format: "${opts.format}" is not one of ${FORMATS.join(', ')}`);
        const stepTimeoutMs = parseStepTimeout(opts.stepTimeout);
        if (opts.target && scenario.ownTestbed)
          throw new UsageError(
            `${scenario.name} stops services or moves clocks: run it without --target (on a testbed of its own)`,
          );
        const config = commandConfig(opts.config);
        const target = opts.target
          ? {
              endpoints: configuredEndpoints(config),
              ...(opts.ca ? { certificate: readFileSync(opts.ca, 'utf8') } : defaultCertificate(config)),
            }
          : undefined;
        const r = await replay(scenario, {
          config,
          ...(target ? { target } : {}),
          ...(opts.traceDir ? { traceDir: resolve(opts.traceDir) } : {}),
          logger: logger(),
          progress: (l) => io.err(`testbed: ${l}\n`),
          ...(stepTimeoutMs !== undefined ? { stepTimeoutMs } : {}),
        });
        io.out(formatResult(r, opts.format as Format, o.tty ?? false));
        for (const f of r.files) io.err(`testbed: wrote ${f}\n`);
        if (!r.ok) {
          io.err(`testbed: ${scenario.name} failed: ${r.failure}\n`);
          code = 1;
        } else
          io.err(
            `testbed: ${scenario.name}: ${r.expectations.length} expectations held (${Math.round(r.ms)} ms)\n`,
          );
      },
    );

  p.command('up')
    .description('run the services in this process; prints {"ready":true,...} once they listen')
    .option('--config <file>', 'configuration file (default config/testbed.yaml when present)')
    .option('--endpoints-file <file>', 'also write the endpoints as JSON to this file')
    .option('--services <list>', `a subset to run here (${SERVICES.join(',')}); the others are attached to`)
    .option('--replay <scenario>', 'replay this scenario against the services first, ladder on stderr')
    .option(
      '--step-timeout <ms>',
      `with --replay: how long a step may take (default ${DEFAULT_STEP_TIMEOUT_MS})`,
    )
    .action(async (opts: UpOptions) => {
      const config = commandConfig(opts.config);
      const services = parseServices(opts.services);
      const stepTimeoutMs = parseStepTimeout(opts.stepTimeout);
      const scenario = opts.replay !== undefined ? findScenario(opts.replay) : undefined;
      if (opts.replay !== undefined && !scenario)
        throw new UsageError(`--replay: no scenario "${opts.replay}"`);
      const sink = new MemorySink();
      const tb = await startTestbed({
        config,
        ...(services ? { services } : {}),
        tracer: createTracer({ sinks: [sink] }),
        logger: logger(),
        progress: (l) => io.err(`testbed: ${l}\n`),
      });
      let certificate: string | undefined;
      if (tb.certificate && !config.ap.tls.cert) {
        certificate = apCertificatePath(config);
        mkdirSync(dirname(certificate), { recursive: true });
        writeFileSync(certificate, tb.certificate);
      }
      if (scenario) {
        let r: Awaited<ReturnType<typeof replay>>;
        try {
          r = await replay(scenario, {
            config: tb.config,
            testbed: { tb, sink },
            logger: logger(),
            ...(stepTimeoutMs !== undefined ? { stepTimeoutMs } : {}),
          });
        } catch (e) {
          await tb.close();
          throw e;
        }
        io.err(renderText(r.model, { color: o.tty ?? false }));
        if (!r.ok) {
          // a testbed that fails its own flow is not one to point UEs at: stop, and say why
          await tb.close();
          throw new Error(`${scenario.name} failed against these services, which are stopped: ${r.failure}`);
        }
        io.err(
          `testbed: ${scenario.name}: ${r.expectations.length} expectations held (${Math.round(r.ms)} ms)\n`,
        );
      }
      // the trace of a long-running testbed is not kept
      sink.clear();
      // from here a signal stops the services and ends the command with 0 (during the replay it is the
      // default: the process ends at once)
      o.onStarted?.(() => tb.close());
      const ready = {
        ready: true,
        service: 'testbed',
        endpoints: tb.endpoints,
        ...(certificate ? { certificate } : {}),
      };
      if (opts.endpointsFile) writeFileSync(opts.endpointsFile, JSON.stringify(ready, null, 2) + '\n');
      io.out(JSON.stringify(ready) + '\n');
    });

  return runProgram('testbed', p, argv, io).then((c) => (c === 0 ? code : c));
}

function defaultCertificate(config: { hss: { database: string }; ap: { tls: { cert: string | null } } }) {
  const path = apCertificatePath(config);
  try {
    return { certificate: readFileSync(path, 'utf8') };
  } catch {
    throw new UsageError(`--target: no AP certificate at ${path}; name it with --ca`);
  }
}

function configuredEndpoints(c: ReturnType<typeof commandConfig>): TestbedEndpoints {
  const hp = (l: { host: string; port: number }) => `${l.host}:${l.port}`;
  return {
    hss: { diameter: hp(c.hss.listen) },
    xcap: { http: hp(c.xcap.listen) },
    ap: { https: hp(c.ap.listen) },
    presence: { udp: hp(c.presence.listen), tcp: hp(c.presence.listen) },
  };
}

/** Entry point of the `testbed` command (bin/testbed.js). */
export function main(): void {
  commandMain('testbed', (argv, io, onStarted) =>
    run(argv, io, { tty: process.stdout.isTTY === true, ...(onStarted ? { onStarted } : {}) }),
  );
}
