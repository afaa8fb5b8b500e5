/**
 * AES-128 block encryption (FIPS 197) on 32-bit words, with the key schedule expanded once per key.
 *
 * Milenage needs six single-block encryptions per vector; a call into OpenSSL costs about 0.7 us however
 * small the input, which caps one-vector-at-a-time generation near 300,000 vectors/s. Table-driven AES in
 * JavaScript does a block in a fraction of that. The tables are the classic T-tables: lookups depend on
 * key and data, so this is not hardened against cache-timing attacks by a co-located process (the
 * testbed's threat model has none); tests check it against OpenSSL on random keys and blocks.
 */

const SBOX = new Uint8Array(256);
const T0 = new Int32Array(256);
const T1 = new Int32Array(256);
const T2 = new Int32Array(256);
const T3 = new Int32Array(256);

(function buildTables() {
  // log/antilog tables over GF(2^8) with generator 3
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  let x = 1;
  for (let i = 0; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x ^= (x << 1) ^ (x & 0x80 ? 0x11b : 0);
    x &= 0xff;
  }
  for (let i = 0; i < 256; i++) {
    const inv = i === 0 ? 0 : exp[(255 - log[i]!) % 255]!;
    let s = inv;
    let r = inv;
    for (let k = 0; k < 4; k++) {
      r = ((r << 1) | (r >> 7)) & 0xff;
      s ^= r;
    }
    SBOX[i] = s ^ 0x63;
  }
  for (let i = 0; i < 256; i++) {
    const s = SBOX[i]!;
    const s2 = ((s << 1) ^ (s & 0x80 ? 0x11b : 0)) & 0xff;
    const s3 = s2 ^ s;
    const t = (s2 << 24) | (s << 16) | (s << 8) | s3;
    T0[i] = t;
    T1[i] = (t >>> 8) | (t << 24);
    T2[i] = (t >>> 16) | (t << 16);
    T3[i] = (t >>> 24) | (t << 8);
  }
})();

const RCON = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];

export class Aes128 {
  private readonly rk = new Int32Array(44);

  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError(`AES-128 key: expected 16 bytes, got ${key.length}`);
    const rk = this.rk;
    for (let i = 0; i < 4; i++) {
      rk[i] = (key[4 * i]! << 24) | (key[4 * i + 1]! << 16) | (key[4 * i + 2]! << 8) | key[4 * i + 3]!;
    }
    for (let i = 4; i < 44; i++) {
      let t = rk[i - 1]!;
      if (i % 4 === 0) {
        t =
          ((SBOX[(t >>> 16) & 0xff]! << 24) |
            (SBOX[(t >>> 8) & 0xff]! << 16) |
            (SBOX[t & 0xff]! << 8) |
            SBOX[t >>> 24]!) ^
          (RCON[i / 4 - 1]! << 24);
      }
      rk[i] = rk[i - 4]! ^ t;
    }
  }

  /** Encrypts the block held as four big-endian words at `src[si..si+3]` into `dst[di..di+3]`. */
  encryptWords(src: Int32Array, si: number, dst: Int32Array, di: number): void {
    const rk = this.rk;
    let s0 = src[si]! ^ rk[0]!;
    let s1 = src[si + 1]! ^ rk[1]!;
    let s2 = src[si + 2]! ^ rk[2]!;
    let s3 = src[si + 3]! ^ rk[3]!;
    // rounds 1-9, two per iteration so the state stays in locals
    let k = 4;
    let t0: number, t1: number, t2: number, t3: number;
    for (let round = 0; round < 4; round++) {
      t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ rk[k]!;
      t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ rk[k + 1]!;
      t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ rk[k + 2]!;
      t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ rk[k + 3]!;
      s0 = T0[t0 >>> 24]! ^ T1[(t1 >>> 16) & 0xff]! ^ T2[(t2 >>> 8) & 0xff]! ^ T3[t3 & 0xff]! ^ rk[k + 4]!;
      s1 = T0[t1 >>> 24]! ^ T1[(t2 >>> 16) & 0xff]! ^ T2[(t3 >>> 8) & 0xff]! ^ T3[t0 & 0xff]! ^ rk[k + 5]!;
      s2 = T0[t2 >>> 24]! ^ T1[(t3 >>> 16) & 0xff]! ^ T2[(t0 >>> 8) & 0xff]! ^ T3[t1 & 0xff]! ^ rk[k + 6]!;
      s3 = T0[t3 >>> 24]! ^ T1[(t0 >>> 16) & 0xff]! ^ T2[(t1 >>> 8) & 0xff]! ^ T3[t2 & 0xff]! ^ rk[k + 7]!;
      k += 8;
    }
    t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^ T3[s3 & 0xff]! ^ rk[36]!;
    t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^ T3[s0 & 0xff]! ^ rk[37]!;
    t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^ T3[s1 & 0xff]! ^ rk[38]!;
    t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^ T3[s2 & 0xff]! ^ rk[39]!;
    s0 = t0;
    s1 = t1;
    s2 = t2;
    s3 = t3;
    dst[di] = lastRound(s0, s1, s2, s3) ^ rk[40]!;
    dst[di + 1] = lastRound(s1, s2, s3, s0) ^ rk[41]!;
    dst[di + 2] = lastRound(s2, s3, s0, s1) ^ rk[42]!;
    dst[di + 3] = lastRound(s3, s0, s1, s2) ^ rk[43]!;
  }

  /** Encrypts one 16-byte block (convenience for tests and one-off use). */
  encryptBlock(block: Uint8Array): Buffer {
    if (block.length !== 16) throw new RangeError(`AES block: expected 16 bytes, got ${block.length}`);
    const w = wordsFromBytes(block, 0);
    this.encryptWords(w, 0, w, 0);
    return bytesFromWords(w, 0, 4);
  }
}

function lastRound(a: number, b: number, c: number, d: number): number {
  return (
    (SBOX[a >>> 24]! << 24) |
    (SBOX[(b >>> 16) & 0xff]! << 16) |
    (SBOX[(c >>> 8) & 0xff]! << 8) |
    SBOX[d & 0xff]!
  );
}

/** Four big-endian words from 16 bytes at `offset`. */
export function wordsFromBytes(b: Uint8Array, offset: number): Int32Array {
  const w = new Int32Array(4);
  for (let i = 0; i < 4; i++) {
    const o = offset + 4 * i;
    w[i] = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  }
  return w;
}

/** `count` words from `w[start..]` as big-endian bytes. */
export function bytesFromWords(w: Int32Array, start: number, count: number): Buffer {
  const b = Buffer.allocUnsafe(count * 4);
  for (let i = 0; i < count; i++) b.writeInt32BE(w[start + i]!, 4 * i);
  return b;
}
