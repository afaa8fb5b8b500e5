import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { promisify } from 'node:util';
import { MemorySessionStore, type SessionStore, type TlsSessionCache } from '../src';

const run = promisify(execFile);

export interface TestCert {
  key: Buffer;
  cert: Buffer;
}

/** A fresh self-signed ECDSA P-256 certificate for CN=localhost. */
export async function makeCert(): Promise<TestCert> {
  const dir = await mkdtemp(join(tmpdir(), 'tls-session-cache-cert-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    await run('/usr/bin/openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ]);
    return { key: await readFile(keyPath), cert: await readFile(certPath) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface RunningServer {
  server: tls.Server;
  port: number;
  close(): Promise<void>;
}

/** A TLS server on 127.0.0.1 created from the cache's options and attached to the cache. */
export async function startServer(
  cache: TlsSessionCache,
  cert: TestCert,
  extra: tls.TlsOptions = {},
): Promise<RunningServer> {
  const server = tls.createServer({ ...cert, ...(await cache.serverOptions()), ...extra });
  cache.attach(server);
  return listen(server);
}

export async function listen(server: tls.Server): Promise<RunningServer> {
  // Reading lets the client's end reach the server socket, which then closes (allowHalfOpen false).
  server.on('secureConnection', (socket) => socket.resume());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface ConnectOptions {
  version: TlsVersion;
  session?: Buffer;
  /** The client refuses tickets (SSL_OP_NO_TICKET), so a TLS 1.2 server falls back to session ids. */
  noTicket?: boolean;
}

export interface Connection {
  reused: boolean;
  protocol: string | null;
  /** The session to resume with next time: the newest one the server sent, else the one offered. */
  session: Buffer | undefined;
  /** The ticket the client holds after the handshake (TLS 1.2 only). */
  ticket: Buffer | undefined;
}

/**
 * One connection: handshake, wait for a session where one is due (TLS 1.3 tickets come after the
 * handshake), close. Resolves when the server has closed its side too, i.e. after the server's
 * 'secureConnection' ran and the cache counted the handshake.
 */
export function connect(port: number, o: ConnectOptions): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      port,
      host: '127.0.0.1',
      servername: 'localhost',
      rejectUnauthorized: false,
      minVersion: o.version,
      maxVersion: o.version,
      ...(o.session ? { session: o.session } : {}),
      ...(o.noTicket ? { secureOptions: constants.SSL_OP_NO_TICKET } : {}),
    });
    let reused = false;
    let protocol: string | null = null;
    let ticket: Buffer | undefined;
    let session: Buffer | undefined;
    socket.on('secureConnect', () => {
      reused = socket.isSessionReused();
      protocol = socket.getProtocol();
      ticket = socket.getTLSTicket();
      // A resumed TLS 1.3 handshake gets no new ticket from Node (measured), so there is nothing to wait for.
      if (protocol !== 'TLSv1.3' || reused) socket.end();
    });
    socket.on('session', (s: Buffer) => {
      session = s;
      if (protocol === 'TLSv1.3') socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ reused, protocol, session: session ?? o.session, ticket }));
    socket.resume();
  });
}

/** A TCP port nobody listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RedisProcess {
  port: number;
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** A throwaway redis-server on a free port, without persistence, in its own temp dir. */
export async function startRedis(port?: number): Promise<RedisProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'tls-session-cache-redis-'));
  const p = port ?? (await freePort());
  const proc = spawn(
    '/usr/bin/redis-server',
    ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        proc.stdout?.off('data', onData);
        proc.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null): void =>
      reject(new Error(`redis-server exited (${code}): ${output}`));
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.once('exit', onExit);
    proc.once('error', reject);
  });
  proc.stdout?.resume();
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    proc,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGCONT');
        proc.kill('SIGKILL');
        await once(proc, 'exit');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The session id field of a DER-encoded SSL_SESSION (the fourth element of the sequence). */
export function sessionIdOf(der: Buffer): Buffer {
  let p = 0;
  const header = (): number => {
    p++;
    const first = der[p++] as number;
    if (first < 0x80) return first;
    let length = 0;
    for (let i = 0; i < (first & 0x7f); i++) length = length * 256 + (der[p++] as number);
    return length;
  };
  header();
  for (let i = 0; i < 3; i++) {
    const skip = header();
    p += skip;
  }
  const length = header();
  return der.subarray(p, p + length);
}

export type StoreFault = 'none' | 'reject' | 'throw' | 'hang';

/** A store whose operations can be made to fail, throw synchronously or never answer. */
export class FaultyStore implements SessionStore {
  faults: Record<'getSession' | 'setSession' | 'ticketKeys', StoreFault> = {
    getSession: 'none',
    setSession: 'none',
    ticketKeys: 'none',
  };
  calls = { getSession: 0, setSession: 0, ticketKeys: 0 };
  /** What a rejection says: tests check that it never reaches the cache's errors. */
  secretInMessage = '';

  constructor(readonly inner: SessionStore = new MemorySessionStore()) {}

  getSession(id: Buffer): Promise<Buffer | undefined> {
    return this.apply('getSession', () => this.inner.getSession(id));
  }

  setSession(id: Buffer, data: Buffer, ttlSeconds: number): Promise<void> {
    this.secretInMessage = data.toString('hex');
    return this.apply('setSession', () => this.inner.setSession(id, data, ttlSeconds));
  }

  ticketKeys(epoch: number, ttlSeconds: number): Promise<Buffer> {
    return this.apply('ticketKeys', () => this.inner.ticketKeys(epoch, ttlSeconds));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private apply<T>(op: 'getSession' | 'setSession' | 'ticketKeys', call: () => Promise<T>): Promise<T> {
    this.calls[op]++;
    switch (this.faults[op]) {
      case 'reject':
        return Promise.reject(Object.assign(new Error(`boom ${this.secretInMessage}`), { code: 'EFAULTY' }));
      case 'throw':
        throw new Error(`sync boom ${this.secretInMessage}`);
      case 'hang':
        return new Promise<T>(() => undefined);
      default:
        return call();
    }
  }
}
