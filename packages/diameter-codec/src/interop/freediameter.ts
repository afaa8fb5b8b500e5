/**
 * freeDiameterd (Debian freediameter + freediameter-extensions, 1.2) as a relay in front of a Diameter
 * server of ours, for interop tests and replays against a peer nobody here wrote:
 *   client --TCP--> relay.<realm> (freeDiameterd) --TCP--> <upstream Origin-Host>
 * TLS is off (SecPort 0), SCTP and IPv6 are off, unknown peers are accepted (acl_wl `ALLOW_IPSEC`), and
 * the relay connects to the upstream itself (ConnectPeer). It listens on every address (freeDiameter
 * ignores ListenOn for TCP), on the port given or a free one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RelayOptions {
  /** the upstream server the relay connects to */
  upstream: { originHost: string; host: string; port: number };
  /** the relay's realm (also the upstream's); default "test" */
  realm?: string;
  /** default: a free port */
  port?: number;
  /** freeDiameter's own watchdog Tw, seconds (its minimum is 6) */
  twSeconds?: number;
  /** default freeDiameterd on PATH (or UT_TESTBED_FREEDIAMETERD) */
  binary?: string;
  /** where the fdx extensions are; default /usr/lib/freeDiameter */
  extensions?: string;
}

export interface Relay {
  identity: string;
  port: number;
  /** everything freeDiameterd wrote so far */
  output(): string;
  /** SIGTERM: freeDiameterd sends DPR (REBOOTING) to its peers, then exits */
  stop(): Promise<number | null>;
  /** SIGKILL and clean up */
  kill(): Promise<void>;
  readonly exited: Promise<number | null>;
}

export function freePort(host = '0.0.0.0'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts freeDiameterd and resolves once it reports "daemon initialized". */
export async function startFreeDiameterRelay(o: RelayOptions): Promise<Relay> {
  const realm = o.realm ?? 'test';
  const identity = `relay.${realm}`;
  const port = o.port ?? (await freePort());
  const ext = o.extensions ?? '/usr/lib/freeDiameter';
  const binary = o.binary ?? process.env.UT_TESTBED_FREEDIAMETERD ?? 'freeDiameterd';
  const dir = mkdtempSync(join(tmpdir(), 'freediameter-'));
  writeFileSync(join(dir, 'acl.conf'), `ALLOW_IPSEC *.${realm}\n`);
  writeFileSync(
    join(dir, 'relay.conf'),
    [
      `Identity = "${identity}";`,
      `Realm = "${realm}";`,
      `Port = ${port};`,
      'SecPort = 0;',
      'No_SCTP;',
      'No_IPv6;',
      `TwTimer = ${Math.max(6, o.twSeconds ?? 6)};`,
      // dict_dcca_3gpp needs dict_dcca, which needs dict_nasreq: this order
      `LoadExtension = "${ext}/dict_nasreq.fdx";`,
      `LoadExtension = "${ext}/dict_dcca.fdx";`,
      `LoadExtension = "${ext}/dict_dcca_3gpp.fdx";`,
      `LoadExtension = "${ext}/acl_wl.fdx" : "${join(dir, 'acl.conf')}";`,
      `ConnectPeer = "${o.upstream.originHost}" { ConnectTo = "${o.upstream.host}"; Port = ${o.upstream.port}; No_TLS; No_SCTP; TcTimer = 3; };`,
      '',
    ].join('\n'),
  );
  const proc: ChildProcess = spawn(binary, ['-c', join(dir, 'relay.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      resolve(code);
    }),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('freeDiameterd daemon initialized')) resolve();
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('error', (e) =>
        reject(
          new Error(
            `cannot run ${binary} (Debian packages freediameter, freediameter-extensions): ${e.message}`,
          ),
        ),
      );
      void exited.then((code) =>
        reject(new Error(`freeDiameterd exited (${code}) before it was ready:\n${out}`)),
      );
    });
  } catch (e) {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    throw e;
  }
  return {
    identity,
    port,
    output: () => out,
    exited,
    stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}
