/**
 * Milenage, TS 35.206 section 4: f1, f1*, f2, f3, f4, f5, f5* and OPc.
 *
 * Blocks are handled as four big-endian 32-bit words. Every Milenage rotation (r1..r5 = 64, 0, 32, 64, 96
 * bits) is a whole number of words, so rotations are index shifts and the constants c2..c5 (1, 2, 4, 8 in
 * the last octet) XOR into the low byte of word 3. The AES key schedule is expanded once per K.
 */
import { Aes128, bytesFromWords, wordsFromBytes } from './aes';
import { requireLength } from './hex';

export interface MilenageOutput {
  /** f1: network authentication code, 8 bytes */
  macA: Buffer;
  /** f1*: resynchronisation authentication code, 8 bytes */
  macS: Buffer;
  /** f2: RES / XRES, 8 bytes */
  res: Buffer;
  /** f3: cipher key, 16 bytes */
  ck: Buffer;
  /** f4: integrity key, 16 bytes */
  ik: Buffer;
  /** f5: anonymity key, 6 bytes */
  ak: Buffer;
  /** f5*: resynchronisation anonymity key, 6 bytes */
  akStar: Buffer;
}

/** OPc = E_K(OP) xor OP (TS 35.206 4.1). */
export function opcFromOp(k: Uint8Array, op: Uint8Array): Buffer {
  requireLength(k, 16, 'K');
  requireLength(op, 16, 'OP');
  const e = new Aes128(k).encryptBlock(op);
  for (let i = 0; i < 16; i++) e[i]! ^= op[i]!;
  return e;
}

/** Which of OUT2..OUT5 to compute (TS 35.206 4.1): index n uses rotation n words and constant 1 << n. */
export const OUT2 = 0;
export const OUT3 = 1;
export const OUT4 = 2;
export const OUT5 = 3;

export class Milenage {
  private readonly aes: Aes128;
  private readonly opc: Int32Array;
  private readonly opcBytes: Buffer;
  // scratch words: TEMP (0..3), TEMP xor OPc (4..7), cipher input (8..11)
  private readonly w = new Int32Array(12);

  constructor(k: Uint8Array, opc: Uint8Array) {
    requireLength(k, 16, 'K');
    requireLength(opc, 16, 'OPc');
    this.aes = new Aes128(k);
    this.opcBytes = Buffer.from(opc);
    this.opc = wordsFromBytes(opc, 0);
  }

  static fromOp(k: Uint8Array, op: Uint8Array): Milenage {
    return new Milenage(k, opcFromOp(k, op));
  }

  /** The OPc this instance uses (a copy). */
  get opcValue(): Buffer {
    return Buffer.from(this.opcBytes);
  }

  /**
   * Sets TEMP = E_K(RAND xor OPc) for the RAND at `rand[offset..offset+15]`; the out* functions below
   * then work from it. This is the word-level kernel that everything else in the package calls.
   */
  setRand(rand: Uint8Array, offset = 0): void {
    const w = this.w;
    const o = this.opc;
    for (let i = 0; i < 4; i++) {
      const p = offset + 4 * i;
      w[8 + i] = ((rand[p]! << 24) | (rand[p + 1]! << 16) | (rand[p + 2]! << 8) | rand[p + 3]!) ^ o[i]!;
    }
    this.aes.encryptWords(w, 8, w, 0);
    for (let i = 0; i < 4; i++) w[4 + i] = w[i]! ^ o[i]!;
  }

  /**
   * OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc, IN1 = SQN||AMF||SQN||AMF, written as four
   * words at `dst[di..]`: MAC-A is words 0-1, MAC-S words 2-3. `sqnHi` is SQN octets 0-3,
   * `sqnLoAmf` SQN octets 4-5 then AMF.
   */
  out1(sqnHi: number, sqnLoAmf: number, dst: Int32Array, di: number): void {
    const w = this.w;
    const o = this.opc;
    // (IN1 xor OPc) rotated left by 64 bits: [a^o2, b^o3, a^o0, b^o1]
    w[8] = w[0]! ^ sqnHi ^ o[2]!;
    w[9] = w[1]! ^ sqnLoAmf ^ o[3]!;
    w[10] = w[2]! ^ sqnHi ^ o[0]!;
    w[11] = w[3]! ^ sqnLoAmf ^ o[1]!;
    this.aes.encryptWords(w, 8, dst, di);
    for (let i = 0; i < 4; i++) dst[di + i]! ^= o[i]!;
  }

  /** OUT2..OUT5 (n = OUT2..OUT5): E_K(rot(TEMP xor OPc, r) xor c) xor OPc, four words at `dst[di..]`. */
  out(n: number, dst: Int32Array, di: number): void {
    const w = this.w;
    const o = this.opc;
    w[8] = w[4 + (n & 3)]!;
    w[9] = w[4 + ((n + 1) & 3)]!;
    w[10] = w[4 + ((n + 2) & 3)]!;
    w[11] = w[4 + ((n + 3) & 3)]! ^ (1 << n);
    this.aes.encryptWords(w, 8, dst, di);
    for (let i = 0; i < 4; i++) dst[di + i]! ^= o[i]!;
  }

  /** All Milenage functions for one (RAND, SQN, AMF). */
  compute(rand: Uint8Array, sqn: Uint8Array, amf: Uint8Array): MilenageOutput {
    requireLength(rand, 16, 'RAND');
    const y = new Int32Array(20);
    this.setRand(rand);
    this.out1(...sqnAmfWords(sqn, amf), y, 0);
    this.out(OUT2, y, 4);
    this.out(OUT3, y, 8);
    this.out(OUT4, y, 12);
    this.out(OUT5, y, 16);
    const b = bytesFromWords(y, 0, 20);
    return {
      macA: b.subarray(0, 8),
      macS: b.subarray(8, 16),
      ak: b.subarray(16, 22),
      res: b.subarray(24, 32),
      ck: b.subarray(32, 48),
      ik: b.subarray(48, 64),
      akStar: b.subarray(64, 70),
    };
  }

  /** f1 and f1*: MAC-A and MAC-S. */
  f1(rand: Uint8Array, sqn: Uint8Array, amf: Uint8Array): { macA: Buffer; macS: Buffer } {
    requireLength(rand, 16, 'RAND');
    const y = new Int32Array(4);
    this.setRand(rand);
    this.out1(...sqnAmfWords(sqn, amf), y, 0);
    const b = bytesFromWords(y, 0, 4);
    return { macA: b.subarray(0, 8), macS: b.subarray(8, 16) };
  }

  /** f2, f3, f4, f5: what the USIM needs once it has RAND (f5 first, to unmask SQN). */
  f2345(rand: Uint8Array): { res: Buffer; ck: Buffer; ik: Buffer; ak: Buffer } {
    requireLength(rand, 16, 'RAND');
    const y = new Int32Array(12);
    this.setRand(rand);
    this.out(OUT2, y, 0);
    this.out(OUT3, y, 4);
    this.out(OUT4, y, 8);
    const b = bytesFromWords(y, 0, 12);
    return { ak: b.subarray(0, 6), res: b.subarray(8, 16), ck: b.subarray(16, 32), ik: b.subarray(32, 48) };
  }

  /** f5*: the anonymity key of AUTS. */
  f5star(rand: Uint8Array): Buffer {
    requireLength(rand, 16, 'RAND');
    const y = new Int32Array(4);
    this.setRand(rand);
    this.out(OUT5, y, 0);
    return bytesFromWords(y, 0, 2).subarray(0, 6);
  }
}

/** SQN (6 octets) and AMF (2 octets) as the two words of IN1. */
export function sqnAmfWords(sqn: Uint8Array, amf: Uint8Array): [number, number] {
  requireLength(sqn, 6, 'SQN');
  requireLength(amf, 2, 'AMF');
  return [
    (sqn[0]! << 24) | (sqn[1]! << 16) | (sqn[2]! << 8) | sqn[3]!,
    (sqn[4]! << 24) | (sqn[5]! << 16) | (amf[0]! << 8) | amf[1]!,
  ];
}
