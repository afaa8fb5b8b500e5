/**
 * The AP's Diameter client towards the HSS: Cx MAR/MAA for authentication vectors (TS 29.229 6.1.7/6.1.8,
 * with the IMPU-List AVP of the MAA naming every public identity of the user), and Sh UDR/UDA for the IMPI
 * of a public identity (TS 29.329, Data-Reference IMSPrivateUserIdentity) when the UE did not name one.
 * The connection is kept up in the background (the DiameterClient reconnects with backoff); a request that
 * finds no usable connection, or gets no answer in time, is HssUnavailable (answered 503 by the AP).
 */
import { randomInt } from 'node:crypto';
import {
  APPLICATION_CX,
  APPLICATION_SH,
  buildCxMar,
  buildUdr,
  DiameterClient,
  DiameterRequestError,
  readCxMaa,
  readUda,
  VENDOR_3GPP,
  type Timers,
} from '@ut-testbed/diameter-codec';
import type { Tracer } from '@ut-testbed/trace';

/** One vector as the AP keeps it: what the nonce carries, what the response is checked with. */
export interface AuthVector {
  rand: Buffer;
  autn: Buffer;
  xres: Buffer;
  ck: Buffer;
  ik: Buffer;
}

export type RefusalReason = 'unknown-user' | 'identities-dont-match' | 'scheme-not-supported' | 'rejected';

export type MarResult =
  | { kind: 'vector'; vector: AuthVector; impus: string[] }
  | { kind: 'refused'; reason: RefusalReason; code: number };

export class HssUnavailable extends Error {
  override name = 'HssUnavailable';
}

/** TS 29.229 6.2.2 (permanent failures, Experimental-Result) */
const CX_ERRORS: Record<number, RefusalReason> = {
  5001: 'unknown-user',
  5002: 'identities-dont-match',
  5006: 'scheme-not-supported',
};

const DATA_REFERENCE_IMS_PRIVATE_USER_IDENTITY = 33;

export interface HssClientOptions {
  host: string;
  port: number;
  originHost: string;
  realm: string;
  /** Server-Name of the MAR (the AP's SIP URI) */
  serverName: string;
  tracer: Tracer;
  timers?: Timers;
  /** ms to wait for a connection or an answer (default 3000) */
  requestTimeout?: number;
  logger?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

export class HssClient {
  private readonly client: DiameterClient;
  private readonly sessionHigh = Math.floor(Date.now() / 1000) >>> 0;
  private sessionLow = randomInt(0, 2 ** 32 - 1);

  constructor(private readonly o: HssClientOptions) {
    this.client = new DiameterClient({
      host: o.host,
      port: o.port,
      local: {
        originHost: o.originHost,
        originRealm: o.realm,
        productName: 'Ut testbed AP',
        applications: [APPLICATION_CX, APPLICATION_SH].map((id) => ({
          vendorId: VENDOR_3GPP,
          authApplicationId: id,
        })),
      },
      requestTimeout: o.requestTimeout ?? 3000,
      connectTimeout: o.requestTimeout ?? 3000,
      backoff: { min: 100, max: 5000 },
      ...(o.timers ? { timers: o.timers } : {}),
      trace: { tracer: o.tracer, iface: 'Cx', localName: 'ap', remoteName: 'hss' },
      ...(o.logger
        ? {
            logger: {
              debug: () => undefined,
              info: (obj: object, msg: string) => o.logger!.info(obj, msg),
              warn: (obj: object, msg: string) => o.logger!.warn(obj, msg),
            },
          }
        : {}),
    });
  }

  /** Connects in the background: the AP serves (with 503 for what needs the HSS) while the HSS is away. */
  start(): void {
    this.client.start().catch(() => undefined);
  }

  get connected(): boolean {
    return this.client.connection !== undefined;
  }

  private sessionId(): string {
    this.sessionLow = (this.sessionLow + 1) >>> 0;
    return `${this.o.originHost};${this.sessionHigh};${this.sessionLow}`;
  }

  private async request(m: Parameters<DiameterClient['request']>[0]) {
    try {
      return await this.client.request(m);
    } catch (e) {
      if (e instanceof DiameterRequestError) throw new HssUnavailable(`the HSS did not answer: ${e.message}`);
      throw e;
    }
  }

  /** One vector for the IMPI and IMPU, or on a resynchronisation (RAND || AUTS) a fresh one. */
  async mar(i: { impi: string; impu: string; scheme: string; resync?: Buffer }): Promise<MarResult> {
    const answer = await this.request(
      buildCxMar({
        sessionId: this.sessionId(),
        originHost: this.o.originHost,
        originRealm: this.o.realm,
        destinationRealm: this.o.realm,
        userName: i.impi,
        publicIdentity: i.impu,
        serverName: this.o.serverName,
        sipNumberAuthItems: 1,
        scheme: i.scheme,
        ...(i.resync ? { authorization: i.resync } : {}),
      }),
    );
    const maa = readCxMaa(answer);
    const code = maa.experimentalResult?.code ?? maa.resultCode ?? 0;
    if (code === 2001) {
      const item = maa.items[0];
      const a = item?.authenticate;
      if (
        !item ||
        !a ||
        a.length !== 32 ||
        !item.authorization ||
        !item.confidentialityKey ||
        !item.integrityKey
      ) {
        throw new HssUnavailable('the MAA holds no usable authentication vector');
      }
      return {
        kind: 'vector',
        vector: {
          rand: a.subarray(0, 16),
          autn: a.subarray(16, 32),
          xres: item.authorization,
          ck: item.confidentialityKey,
          ik: item.integrityKey,
        },
        impus: maa.impuList,
      };
    }
    // 3xxx: the HSS (or an agent) cannot serve now; 4xxx transient; both are "try again later"
    if (code < 5000) throw new HssUnavailable(`the HSS answered ${code}`);
    return { kind: 'refused', reason: CX_ERRORS[code] ?? 'rejected', code };
  }

  /** The IMPI owning a public identity (Sh UDR, Data-Reference IMSPrivateUserIdentity), if the HSS knows it. */
  async impiOf(impu: string): Promise<string | undefined> {
    const answer = await this.request(
      buildUdr({
        sessionId: this.sessionId(),
        originHost: this.o.originHost,
        originRealm: this.o.realm,
        destinationRealm: this.o.realm,
        publicIdentity: impu,
        dataReferences: [DATA_REFERENCE_IMS_PRIVATE_USER_IDENTITY],
      }),
    );
    const uda = readUda(answer);
    const code = uda.experimentalResult?.code ?? uda.resultCode ?? 0;
    if (code === 2001) {
      const m = /<IMSPrivateUserIdentity>([^<]+)<\/IMSPrivateUserIdentity>/.exec(uda.userData ?? '');
      return m ? unescapeXml(m[1]!.trim()) : undefined;
    }
    if (code < 5000) throw new HssUnavailable(`the HSS answered ${code}`);
    return undefined;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) =>
    e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'" : '&',
  );
}
