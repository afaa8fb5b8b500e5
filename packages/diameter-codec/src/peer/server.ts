/**
 * The responder side: a TCP listener whose connections each run the responder state machine. Any peer
 * may connect unless an allow-list is given (DESIGN section 11). A second connection from an Origin-Host
 * that is already open is accepted beside the first (a responder has no election to run, and peers behind
 * a load balancer may share a name); when its Origin-State-Id shows that the peer restarted, the old
 * connection is dropped. On close every open peer gets DPR (REBOOTING).
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { DISCONNECT_CAUSE, type Capabilities } from '../builders/base';
import {
  PeerConnection,
  silentLogger,
  type PeerLogger,
  type PeerTrace,
  type RequestHandler,
} from './connection';
import type { LocalPeer } from './local';
import { realTimers, type Timers } from './timers';

export interface ServerOptions {
  host: string;
  port: number;
  local: LocalPeer;
  onRequest: RequestHandler;
  timers?: Timers;
  tw?: number;
  twJitter?: number;
  requestTimeout?: number;
  capabilitiesTimeout?: number;
  maxConnections?: number;
  maxMessageLength?: number;
  /** requests of one peer processed at once; beyond it 3004 TOO_BUSY (default 1024) */
  maxIncoming?: number;
  /** bytes waiting to be written to a peer above which its socket stops reading until drained (4 MiB) */
  maxWriteBuffer?: number;
  /** Origin-Hosts allowed to connect; absent: any */
  allowedPeers?: readonly string[];
  trace?: Omit<PeerTrace, 'remoteName'>;
  logger?: PeerLogger;
}

export interface DiameterServer {
  readonly address: AddressInfo;
  readonly connections: readonly PeerConnection[];
  close(): Promise<void>;
}

export async function startDiameterServer(o: ServerOptions): Promise<DiameterServer> {
  const timers = o.timers ?? realTimers();
  const logger = o.logger ?? silentLogger;
  const conns = new Set<PeerConnection>();
  const byHost = new Map<string, PeerConnection>();
  const allowed = o.allowedPeers ? new Set(o.allowedPeers.map((h) => h.toLowerCase())) : undefined;
  const server: Server = createServer((socket: Socket) => {
    if (conns.size >= (o.maxConnections ?? 64)) {
      logger.warn({ remote: socket.remoteAddress }, 'diameter connection refused: too many connections');
      socket.destroy();
      return;
    }
    const conn = new PeerConnection({
      socket,
      role: 'responder',
      local: o.local,
      timers,
      tw: o.tw ?? 30_000,
      ...(o.twJitter !== undefined ? { twJitter: o.twJitter } : {}),
      ...(o.requestTimeout !== undefined ? { requestTimeout: o.requestTimeout } : {}),
      ...(o.capabilitiesTimeout !== undefined ? { capabilitiesTimeout: o.capabilitiesTimeout } : {}),
      ...(o.maxMessageLength !== undefined ? { maxMessageLength: o.maxMessageLength } : {}),
      ...(o.maxIncoming !== undefined ? { maxIncoming: o.maxIncoming } : {}),
      ...(o.maxWriteBuffer !== undefined ? { maxWriteBuffer: o.maxWriteBuffer } : {}),
      allowPeer: (caps: Capabilities) => {
        if (allowed && !allowed.has(caps.originHost.toLowerCase())) return false;
        const existing = byHost.get(caps.originHost.toLowerCase());
        if (
          existing?.isOpen &&
          caps.originStateId !== undefined &&
          existing.remote?.originStateId !== undefined
        ) {
          if (caps.originStateId !== existing.remote.originStateId) {
            existing.destroy('the peer restarted (new Origin-State-Id)');
          }
        }
        return true;
      },
      onRequest: o.onRequest,
      ...(o.trace ? { trace: o.trace } : {}),
      logger,
    });
    conns.add(conn);
    conn.on('open', (caps) => byHost.set(caps.originHost.toLowerCase(), conn));
    conn.on('close', () => {
      conns.delete(conn);
      const host = conn.remote?.originHost.toLowerCase();
      if (host && byHost.get(host) === conn) byHost.delete(host);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    get connections() {
      return [...conns];
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...conns].map((c) => c.disconnect(DISCONNECT_CAUSE.REBOOTING)));
      await closed;
    },
  };
}
