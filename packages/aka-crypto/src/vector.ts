/**
 * Network-side authentication vectors (TS 33.102 6.3.2): RAND, XRES, CK, IK, AK and
 * AUTN = (SQN xor AK) || AMF || MAC-A.
 */
import { randomFillSync } from 'node:crypto';
import { requireLength } from './hex';
import { Milenage, OUT2, OUT3, OUT4 } from './milenage';
import { SQN_MAX } from './sqn';

export interface AuthVector {
  rand: Buffer;
  xres: Buffer;
  ck: Buffer;
  ik: Buffer;
  ak: Buffer;
  autn: Buffer;
  /** the SQN this vector carries (48-bit integer) */
  sqn: number;
}

/** Fills a buffer with random bytes; injectable so that tests and replays can fix RAND. */
export type RandomSource = (out: Buffer) => void;

const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let poolPos = 0;

/**
 * The default source: the CSPRNG, drawn in 4 KiB blocks so that a single vector does not pay for a call
 * into OpenSSL each time. Requests larger than the pool go straight to the CSPRNG.
 */
export const cryptoRandom: RandomSource = (out) => {
  if (out.length > POOL_SIZE) {
    randomFillSync(out);
    return;
  }
  if (poolPos + out.length > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_SIZE));
    poolPos = 0;
  }
  pool.copy(out, 0, poolPos, poolPos + out.length);
  // a byte is never handed out twice
  pool.fill(0, poolPos, poolPos + out.length);
  poolPos += out.length;
};

// Layout of one vector's 80 octets: RAND 0-15, AUTN 16-31, XRES 32-39, CK 40-55, IK 56-71, AK 72-77.
const VECTOR_BYTES = 80;

/** Makes vectors for one subscriber (one K, OPc, AMF). */
export class VectorFactory {
  private readonly amf: number;
  private readonly y = new Int32Array(16);

  constructor(
    private readonly milenage: Milenage,
    amf: Uint8Array,
    private readonly random: RandomSource = cryptoRandom,
  ) {
    requireLength(amf, 2, 'AMF');
    this.amf = (amf[0]! << 8) | amf[1]!;
  }

  static forKeys(k: Uint8Array, opc: Uint8Array, amf: Uint8Array, random?: RandomSource): VectorFactory {
    return new VectorFactory(new Milenage(k, opc), amf, random);
  }

  /** One vector; `rand` given means no random draw (test vectors, replays). */
  one(sqn: number, rand?: Uint8Array): AuthVector {
    const b = Buffer.allocUnsafe(VECTOR_BYTES);
    if (rand) {
      requireLength(rand, 16, 'RAND');
      b.set(rand, 0);
    } else {
      this.random(b.subarray(0, 16));
    }
    return this.fill(b, sqn);
  }

  /** One vector per SQN, in order. `rands`, when given, holds 16 bytes per SQN. */
  many(sqns: readonly number[], rands?: Uint8Array): AuthVector[] {
    if (rands) requireLength(rands, sqns.length * 16, 'RANDs');
    const all = Buffer.allocUnsafe(VECTOR_BYTES * sqns.length);
    const r = Buffer.allocUnsafe(16 * sqns.length);
    if (rands) r.set(rands);
    else this.random(r);
    return sqns.map((sqn, i) => {
      const b = all.subarray(i * VECTOR_BYTES, (i + 1) * VECTOR_BYTES);
      r.copy(b, 0, i * 16, i * 16 + 16);
      return this.fill(b, sqn);
    });
  }

  private fill(b: Buffer, sqn: number): AuthVector {
    if (!Number.isInteger(sqn) || sqn < 0 || sqn > SQN_MAX) throw new RangeError(`SQN out of range: ${sqn}`);
    const m = this.milenage;
    const y = this.y;
    const sqnHi = Math.floor(sqn / 0x10000) | 0;
    const sqnLo = sqn & 0xffff;
    m.setRand(b, 0);
    m.out1(sqnHi, (sqnLo << 16) | this.amf, y, 0);
    m.out(OUT2, y, 4);
    m.out(OUT3, y, 8);
    m.out(OUT4, y, 12);
    // AUTN: SQN xor AK (AK = OUT2 octets 0-5) || AMF || MAC-A (OUT1 octets 0-7)
    put32(b, 16, sqnHi ^ y[4]!);
    put16(b, 20, sqnLo ^ (y[5]! >>> 16));
    put16(b, 22, this.amf);
    put32(b, 24, y[0]!);
    put32(b, 28, y[1]!);
    put32(b, 32, y[6]!); // XRES = OUT2 octets 8-15
    put32(b, 36, y[7]!);
    for (let i = 0; i < 8; i++) put32(b, 40 + 4 * i, y[8 + i]!); // CK, IK
    put32(b, 72, y[4]!); // AK
    put16(b, 76, y[5]! >>> 16);
    return {
      rand: b.subarray(0, 16),
      autn: b.subarray(16, 32),
      xres: b.subarray(32, 40),
      ck: b.subarray(40, 56),
      ik: b.subarray(56, 72),
      ak: b.subarray(72, 78),
      sqn,
    };
  }
}

function put32(b: Buffer, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

function put16(b: Buffer, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}
