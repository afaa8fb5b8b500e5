/**
 * What the `ue` subcommands share: the config, the subscriber whose credentials the UE holds (from the
 * config's hss.subscribers or from flags), addresses as `host:port`, the AP's certificate, and the
 * --verbose trace on stderr. K and OPc stay inside {@link Subscriber}: no message, JSON or trace line of the
 * command carries them, nor RES, CK or IK (the USIM model keeps those to itself).
 */
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { fromHex, opcFromOp, toHex } from '@ut-testbed/aka-crypto';
import { apCertificatePath, type Config } from '@ut-testbed/config';
import { UsageError, type Io } from '@ut-testbed/service-kit';
import { createTracer, type Tracer } from '@ut-testbed/trace';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsimModel } from '../usim/usim-model';

/** The operation failed (exit 1); the message is the one line on stderr. */
export class Failure extends Error {}

export interface CommonFlags {
  config?: string;
  impi?: string;
  subscriber?: number;
  k?: string;
  opc?: string;
  op?: string;
  impu?: string[];
  identity?: string;
  verbose?: boolean;
  algorithm?: string;
}

const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

function index(v: string): number {
  if (!/^\d{1,6}$/.test(v)) throw new InvalidArgumentError('expected an index: 0, 1, ...');
  return Number(v);
}

/** A count of seconds for Expires (RFC 3261 20.19: up to 2^32-1). */
export function seconds(v: string): number {
  if (!/^\d{1,10}$/.test(v) || Number(v) > 0xffffffff)
    throw new InvalidArgumentError('expected seconds: 0, 1, ...');
  return Number(v);
}

export function positive(v: string): number {
  if (!/^[1-9]\d{0,8}$/.test(v)) throw new InvalidArgumentError('expected a count: 1, 2, ...');
  return Number(v);
}

/** The options every subcommand takes: the config and who the UE is. */
export function addCommonOptions(c: Command): Command {
  return (
    c
      .option('--config <file>', 'configuration file (default config/testbed.yaml when present)')
      .option('--impi <impi>', "the subscriber of the config's hss.subscribers with this private identity")
      .option(
        '--subscriber <n>',
        "the subscriber at this index of the config's hss.subscribers (default 0)",
        index,
      )
      .option('--k <hex>', 'explicit credentials: K, 32 hex digits (with --opc or --op, --impi, --impu)')
      .option('--opc <hex>', 'explicit credentials: OPc, 32 hex digits')
      .option('--op <hex>', 'explicit credentials: OP, 32 hex digits (OPc is derived from it and K)')
      .option(
        '--impu <uri>',
        'explicit credentials: a public identity (repeat it; the first is the default)',
        collect,
      )
      .option('--identity <impu>', 'act for this public identity instead of the default one')
      .option('-v, --verbose', 'one line on stderr for each message sent and received')
      // refused with a reason rather than as an unknown option: people look for it
      .addOption(new Option('--algorithm <name>').hideHelp())
  );
}

export function refuseAlgorithm(o: CommonFlags): void {
  if (o.algorithm !== undefined)
    throw new UsageError(
      '--algorithm: the AP chooses the Digest AKA algorithm (ap.auth.algorithm in its config); ' +
        'the output names the one it used',
    );
}

const IMPI = /^[^\s@]+@[^\s@]+$/;
// the config's rule for public identities, without quotes and angle brackets (they end up in headers)
const IMPU = /^(?:sips?:[^\s@"<>]+(?:@[^\s"<>]+)?|tel:\+?[0-9A-Fa-f*#().-]+(?:;[^\s"<>]*)?)$/;

export function checkImpu(v: string, flag: string): string {
  if (!IMPU.test(v)) throw new UsageError(`${flag}: expected a public identity: a sip:, sips: or tel: URI`);
  return v;
}

function key(v: string, flag: string): string {
  // the value is never repeated in the message: it is a secret
  if (!/^[0-9a-fA-F]{32}$/.test(v)) throw new UsageError(`${flag}: expected 32 hex digits`);
  return v.toLowerCase();
}

/** The subscriber the UE stands for; K and OPc are reachable only as a USIM model. */
export class Subscriber {
  readonly #k: string;
  readonly #opc: string;

  constructor(
    readonly impi: string,
    readonly impus: readonly string[],
    k: string,
    opc: string,
  ) {
    this.#k = k;
    this.#opc = opc;
  }

  /** A fresh USIM: each command starts with SEQ_MS at 0, which accepts the HSS's next SQN. */
  usim(): UsimModel {
    return new UsimModel({ k: this.#k, opc: this.#opc });
  }

  toJSON(): object {
    return { impi: this.impi, impus: this.impus };
  }

  [inspect.custom](): string {
    return `Subscriber ${this.impi}`;
  }
}

function explicitSubscriber(o: CommonFlags): Subscriber {
  const missing = [
    ...(o.k === undefined ? ['--k'] : []),
    ...(o.opc === undefined && o.op === undefined ? ['--opc (or --op)'] : []),
    ...(o.impi === undefined ? ['--impi'] : []),
    ...(!o.impu?.length ? ['--impu'] : []),
  ];
  if (missing.length > 0)
    throw new UsageError(
      `explicit credentials also need ${missing.join(', ')}; ` +
        'or leave out --k/--opc/--op/--impu to take a subscriber from the config (--impi or --subscriber)',
    );
  if (o.subscriber !== undefined)
    throw new UsageError(
      '--subscriber picks from the config: leave it out with explicit --k/--opc credentials',
    );
  if (o.opc !== undefined && o.op !== undefined) throw new UsageError('give --opc or --op, not both');
  if (!IMPI.test(o.impi!)) throw new UsageError('--impi: expected a private identity user@realm');
  const k = key(o.k!, '--k');
  const opc =
    o.opc !== undefined
      ? key(o.opc, '--opc')
      : toHex(opcFromOp(fromHex(k, 'K', 16), fromHex(key(o.op!, '--op'), 'OP', 16)));
  return new Subscriber(
    o.impi!,
    o.impu!.map((u) => checkImpu(u, '--impu')),
    k,
    opc,
  );
}

/** The subscriber: explicit flags, or one of the config's hss.subscribers (by --impi, else --subscriber). */
export function subscriberOf(o: CommonFlags, config: Config): Subscriber {
  const keys = o.k !== undefined || o.opc !== undefined || o.op !== undefined;
  if (keys || o.impu !== undefined) {
    if (!keys)
      throw new UsageError(
        '--impu is for explicit credentials (with --k, --opc or --op, --impi); ' +
          'to act for another public identity of a configured subscriber, use --identity',
      );
    return explicitSubscriber(o);
  }
  const list = config.hss.subscribers;
  if (o.impi !== undefined && o.subscriber !== undefined)
    throw new UsageError('give --impi or --subscriber, not both');
  let s: (typeof list)[number] | undefined;
  if (o.impi !== undefined) {
    const want = o.impi.toLowerCase();
    s = list.find((x) => x.impi.toLowerCase() === want);
    if (!s)
      throw new UsageError(
        `--impi ${o.impi}: not among the config's hss.subscribers ` +
          `(${list.map((x) => x.impi).join(', ') || 'none'}); give its credentials with --k, --opc and --impu`,
      );
  } else {
    const i = o.subscriber ?? 0;
    s = list[i];
    if (!s)
      throw new UsageError(
        list.length === 0
          ? 'the config has no hss.subscribers: give the credentials with --k, --opc, --impi and --impu'
          : `--subscriber ${i}: the config has ${list.length} subscriber(s), 0 to ${list.length - 1}`,
      );
  }
  // the HSS stores OPc derived from OP the same way (TS 35.206 4.1)
  const opc = s.opc ?? toHex(opcFromOp(fromHex(s.k, 'K', 16), fromHex(s.op!, 'OP', 16)));
  return new Subscriber(s.impi, [...s.impus], s.k, opc);
}

export interface HostPort {
  host: string;
  port: number;
}

export function hostPort(v: string, flag: string): HostPort {
  const m = /^(?:\[([^\]\s]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(v);
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535)
    throw new UsageError(`${flag}: expected host:port, e.g. 127.0.0.1:8443`);
  return { host: m[1] ?? m[2]!, port };
}

export function formatHostPort(a: HostPort): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** Where to reach a configured listener: a wildcard address is reached on loopback. */
export function listenTarget(l: { host: string; port: number }, key: string, flag: string): HostPort {
  if (l.port === 0)
    throw new UsageError(
      `${key}.port is 0 in the config (any free port): give ${flag} with the address of the ready line`,
    );
  const host = l.host === '0.0.0.0' ? '127.0.0.1' : l.host === '::' ? '::1' : l.host;
  return { host, port: l.port };
}

export function readCa(flag: string | undefined, config: Config): string {
  const path = flag ?? apCertificatePath(config);
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(
      flag !== undefined
        ? `--ca ${flag}: cannot read the file`
        : `no AP certificate at ${path} (testbed up writes it there): pass the AP's certificate with --ca FILE`,
    );
  }
}

export function readInput(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${flag} ${path}: ${code === 'ENOENT' ? 'no such file' : 'cannot read the file'}`);
  }
}

/** The message of an error as one line (DESIGN.md section 5: one clear line on stderr). */
export function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, '; ');
}

/** With --verbose, each message's trace summary on stderr (summaries carry no credentials' secrets). */
export function verboseTracer(o: CommonFlags, io: Io): Tracer | undefined {
  if (!o.verbose) return undefined;
  return createTracer({
    sinks: [
      {
        record: (e) => io.err(`ue: ${e.from.name} -> ${e.to.name}: ${e.summary}\n`),
        close: () => Promise.resolve(),
      },
    ],
  });
}

export function json(io: Io, v: unknown, replacer?: (key: string, value: unknown) => unknown): void {
  io.out(JSON.stringify(v, replacer) + '\n');
}
