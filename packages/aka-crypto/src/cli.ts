/**
 * The `aka` command (DESIGN.md section 5): JSON on stdout, one line on stderr when something is wrong,
 * exit 0 success, 1 failure, 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { fromHex, toHex, HexError } from './hex';
import { Milenage } from './milenage';
import { computeAuts, verifyAuts } from './resync';
import { sqnFromBytes, sqnToBytes } from './sqn';
import { akaPassword, parseAlgorithm, DigestAlgorithmError } from './digest/algorithm';
import { digestResponse, type Qop } from './digest/response';

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

class UsageError extends Error {}

function keys(o: { k: string; op?: string; opc?: string }): Milenage {
  const k = fromHex(o.k, '--k', 16);
  if ((o.op === undefined) === (o.opc === undefined))
    throw new UsageError('give exactly one of --op and --opc');
  return o.opc !== undefined
    ? new Milenage(k, fromHex(o.opc, '--opc', 16))
    : Milenage.fromOp(k, fromHex(o.op!, '--op', 16));
}

function json(io: Io, value: Record<string, unknown>): void {
  io.out(JSON.stringify(value) + '\n');
}

function program(io: Io): Command {
  const p = new Command('aka')
    .description('Milenage, AUTS and HTTP Digest (AKAv1/AKAv2) calculations; JSON on stdout')
    .configureOutput({ writeOut: (s) => io.err(s), writeErr: (s) => io.err(s) })
    .exitOverride();

  const keyOptions = (c: Command) =>
    c
      .requiredOption('--k <hex>', 'subscriber key K, 16 bytes')
      .option('--op <hex>', 'operator variant OP, 16 bytes')
      .option('--opc <hex>', 'OPc, 16 bytes')
      .requiredOption('--rand <hex>', 'RAND, 16 bytes');

  keyOptions(p.command('milenage').description('all Milenage outputs and AUTN for one RAND/SQN/AMF'))
    .requiredOption('--sqn <hex>', 'SQN, 6 bytes')
    .requiredOption('--amf <hex>', 'AMF, 2 bytes')
    .action((o: { k: string; op?: string; opc?: string; rand: string; sqn: string; amf: string }) => {
      const m = keys(o);
      const rand = fromHex(o.rand, '--rand', 16);
      const sqn = fromHex(o.sqn, '--sqn', 6);
      const amf = fromHex(o.amf, '--amf', 2);
      const r = m.compute(rand, sqn, amf);
      const autn = Buffer.alloc(16);
      for (let i = 0; i < 6; i++) autn[i] = sqn[i]! ^ r.ak[i]!;
      amf.copy(autn, 6);
      r.macA.copy(autn, 8);
      json(io, {
        opc: toHex(m.opcValue),
        mac_a: toHex(r.macA),
        mac_s: toHex(r.macS),
        res: toHex(r.res),
        ck: toHex(r.ck),
        ik: toHex(r.ik),
        ak: toHex(r.ak),
        ak_star: toHex(r.akStar),
        autn: toHex(autn),
      });
    });

  keyOptions(p.command('auts').description('the AUTS a USIM sends on a synchronisation failure'))
    .requiredOption('--sqn-ms <hex>', 'SQN_MS, 6 bytes')
    .action((o: { k: string; op?: string; opc?: string; rand: string; sqnMs: string }) => {
      const m = keys(o);
      const sqnMs = sqnFromBytes(fromHex(o.sqnMs, '--sqn-ms', 6));
      json(io, { auts: toHex(computeAuts(m, fromHex(o.rand, '--rand', 16), sqnMs)) });
    });

  keyOptions(
    p
      .command('resync')
      .description('recover SQN_MS from AUTS and check MAC-S (mac_s_ok false is a result, exit 0)'),
  )
    .requiredOption('--auts <hex>', 'AUTS, 14 bytes')
    .action((o: { k: string; op?: string; opc?: string; rand: string; auts: string }) => {
      const m = keys(o);
      const r = verifyAuts(m, fromHex(o.rand, '--rand', 16), fromHex(o.auts, '--auts', 14));
      json(io, { sqn_ms: toHex(sqnToBytes(r.sqnMs)), mac_s_ok: r.macSOk });
    });

  p.command('digest')
    .description('the Digest response for one request (RFC 7616, RFC 3310 AKAv1, RFC 4169 AKAv2)')
    .addOption(
      new Option(
        '--algorithm <name>',
        'digest algorithm (also -sess variants and SHA-512-256)',
      ).makeOptionMandatory(),
    )
    .requiredOption('--username <u>', 'username')
    .requiredOption('--realm <r>', 'realm')
    .requiredOption('--nonce <n>', 'nonce, as in the challenge')
    .requiredOption('--method <m>', 'request method')
    .requiredOption('--uri <u>', 'digest-uri, as in the request')
    .addOption(new Option('--qop <qop>', 'quality of protection').choices(['auth', 'auth-int']))
    .option('--nc <nc>', 'nonce count, hashed exactly as given (e.g. 00000001)')
    .option('--cnonce <c>', 'client nonce')
    .option('--body-file <f>', 'entity body for qop=auth-int (default: empty)')
    .option('--res <hex>', 'RES (AKA algorithms)')
    .option('--ik <hex>', 'IK, 16 bytes (AKAv2)')
    .option('--ck <hex>', 'CK, 16 bytes (AKAv2)')
    .option('--password <p>', 'password (non-AKA algorithms)')
    .action(
      (o: {
        algorithm: string;
        username: string;
        realm: string;
        nonce: string;
        method: string;
        uri: string;
        qop?: Qop;
        nc?: string;
        cnonce?: string;
        bodyFile?: string;
        res?: string;
        ik?: string;
        ck?: string;
        password?: string;
      }) => {
        const alg = parseAlgorithm(o.algorithm);
        if ((o.res === undefined) === (o.password === undefined))
          throw new UsageError('give exactly one of --res and --password');
        if (alg.aka && o.res === undefined) throw new UsageError(`${alg.name} needs --res`);
        if (!alg.aka && o.password === undefined) throw new UsageError(`${alg.name} needs --password`);
        if (o.qop && (o.nc === undefined || o.cnonce === undefined))
          throw new UsageError('--qop needs --nc and --cnonce');
        if (alg.sess && o.cnonce === undefined) throw new UsageError(`${alg.name} needs --cnonce`);
        if (o.bodyFile !== undefined && o.qop !== 'auth-int')
          throw new UsageError('--body-file is used with --qop auth-int only');
        let password: string | Buffer;
        if (alg.aka) {
          const res = fromHex(o.res!, '--res');
          if (res.length < 4 || res.length > 16) throw new UsageError('--res: RES is 4 to 16 bytes');
          if (alg.aka === 2 && (o.ik === undefined || o.ck === undefined))
            throw new UsageError(`${alg.name} needs --ik and --ck`);
          password = akaPassword(alg, {
            res,
            ik: o.ik === undefined ? undefined : fromHex(o.ik, '--ik', 16),
            ck: o.ck === undefined ? undefined : fromHex(o.ck, '--ck', 16),
          });
        } else {
          password = o.password!;
        }
        let body: Buffer | undefined;
        if (o.bodyFile !== undefined) {
          try {
            body = readFileSync(o.bodyFile);
          } catch (e) {
            throw new Error(
              `--body-file: cannot read ${o.bodyFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
              { cause: e },
            );
          }
        }
        const response = digestResponse({
          algorithm: alg,
          username: o.username,
          realm: o.realm,
          password,
          nonce: o.nonce,
          method: o.method,
          uri: o.uri,
          qop: o.qop,
          nc: o.nc,
          cnonce: o.cnonce,
          body,
        });
        json(io, { response });
      },
    );
  return p;
}

/** Runs the command; returns the exit code instead of exiting, so tests can call it in-process. */
export function run(argv: string[], io: Io): number {
  try {
    program(io).parse(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version are not errors; help shown because no command was given is bad usage.
      // Commander has already written its one-line message (or the help) to stderr.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    }
    const msg = e instanceof Error ? e.message : String(e);
    if (
      e instanceof UsageError ||
      e instanceof HexError ||
      e instanceof DigestAlgorithmError ||
      e instanceof RangeError
    ) {
      io.err(`aka: ${msg}\n`);
      return 2;
    }
    io.err(`aka: ${msg}\n`);
    return 1;
  }
}

/** Entry point of the `aka` command (bin/aka.js). */
export function main(): void {
  process.exitCode = run(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  });
}
