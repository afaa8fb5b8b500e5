// Mutations of valid messages for the fuzz test (test/fuzz.test.ts) and the longer run (bench/fuzz.ts).
import {
  buildErrorAnswer,
  buildCxMaa,
  buildCxMar,
  checkGrammar,
  decodeMessage,
  decodeResultTree,
  DiameterFramer,
  encodeMessage,
  FLAG_REQUEST,
  summarize,
} from '../src';
import { CER, DWR, MAA_USER_UNKNOWN, MAR, MAR_INPUT } from './vectors';

export const SEEDS: Buffer[] = [
  CER,
  DWR,
  MAR,
  MAA_USER_UNKNOWN,
  encodeMessage(
    buildCxMaa(buildCxMar(MAR_INPUT), {
      sessionId: 's;1;2',
      originHost: 'hss.home1.net',
      originRealm: 'home1.net',
      resultCode: 2001,
      userName: 'user1_private@home1.net',
      publicIdentity: 'sip:user1_public1@home1.net',
      sipNumberAuthItems: 1,
      items: [
        {
          itemNumber: 1,
          scheme: 'Digest-AKAv1-MD5',
          authenticate: Buffer.alloc(32, 1),
          authorization: Buffer.alloc(8, 2),
          confidentialityKey: Buffer.alloc(16, 3),
          integrityKey: Buffer.alloc(16, 4),
        },
      ],
      impuList: ['sip:user1_public1@home1.net', 'tel:+15551234'],
    }),
  ),
];

/** xorshift32: deterministic, so a failing case can be replayed from its seed. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export type Mutation = 'bitflip' | 'byte' | 'truncate' | 'avp-length' | 'msg-length' | 'splice';

export function mutate(next: () => number, seed: Buffer): { kind: Mutation; bytes: Buffer } {
  const b = Buffer.from(seed);
  const kinds: Mutation[] = ['bitflip', 'byte', 'truncate', 'avp-length', 'msg-length', 'splice'];
  const kind = kinds[next() % kinds.length]!;
  switch (kind) {
    case 'bitflip':
      for (let i = 1 + (next() % 4); i > 0; i--) {
        const at = next() % b.length;
        b[at] = b[at]! ^ (1 << (next() % 8));
      }
      return { kind, bytes: b };
    case 'byte':
      b[next() % b.length] = next() & 0xff;
      return { kind, bytes: b };
    case 'truncate':
      return { kind, bytes: b.subarray(0, next() % b.length) };
    case 'avp-length': {
      // overwrite the 24-bit length of an AVP-aligned word with a hostile value (0, tiny, huge, random)
      const at = 20 + 4 * (next() % Math.max(1, (b.length - 20) >> 2)) + 5;
      const choices = [0, 1, 7, 8, 11, 12, 0xffffff, next() & 0xffffff, next() & 0xff];
      const v = choices[next() % choices.length]!;
      if (at + 3 <= b.length) b.writeUIntBE(v, at, 3);
      return { kind, bytes: b };
    }
    case 'msg-length': {
      const choices = [0, 4, 19, 20, b.length - 4, b.length + 4, 0xffffff, next() & 0xffffff];
      b.writeUIntBE(choices[next() % choices.length]! & 0xffffff, 1, 3);
      return { kind, bytes: b };
    }
    case 'splice': {
      const other = SEEDS[next() % SEEDS.length]!;
      const cut = next() % b.length;
      return { kind, bytes: Buffer.concat([b.subarray(0, cut), other.subarray(next() % other.length)]) };
    }
  }
}

/** Runs one case through everything that sees wire input; throws only if the code under test does. */
export function exercise(bytes: Buffer): 'message' | 'error' {
  const r = decodeMessage(bytes);
  if (!r.message && !r.error) throw new Error('neither a message nor an error');
  decodeResultTree(r);
  if (r.message) {
    checkGrammar(r.message);
    summarize(r.message);
    if (!r.error) {
      const again = encodeMessage(r.message);
      if (decodeMessage(again).error)
        throw new Error('a message without error re-encodes to one with an error');
    } else if (r.message.flags & FLAG_REQUEST) {
      // the answer-message for the error (RFC 6733 7.2), with the Failed-AVP the decoder built, is well formed
      const answer = buildErrorAnswer(r.message, {
        originHost: 'hss.home1.net',
        originRealm: 'home1.net',
        error: r.error,
      });
      const back = decodeMessage(encodeMessage(answer));
      const wrong = back.error ?? (back.message && checkGrammar(back.message));
      if (wrong) {
        throw new Error(
          `the answer-message for ${r.error.resultCode} (${r.error.reason}) is not well formed: ` +
            `${wrong.resultCode} (${wrong.reason})`,
        );
      }
    }
  }
  const f = new DiameterFramer({ maxMessageLength: 4096 });
  for (let at = 0; at < bytes.length; at += 7) f.push(bytes.subarray(at, at + 7));
  return r.error ? 'error' : 'message';
}
