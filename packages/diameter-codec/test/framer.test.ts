import { DiameterFramer, decodeMessage } from '../src';
import { CER, DWR, MAR } from './vectors';

describe('DiameterFramer', () => {
  it('returns three messages that arrive in one chunk, in order and exactly', () => {
    const f = new DiameterFramer();
    const r = f.push(Buffer.concat([CER, DWR, MAR]));
    expect(r.error).toBeUndefined();
    expect(r.messages.map((m) => m.toString('hex'))).toEqual([CER, DWR, MAR].map((m) => m.toString('hex')));
    expect(f.pending).toBe(0);
  });

  it('assembles one message pushed byte by byte', () => {
    const f = new DiameterFramer();
    const out: Buffer[] = [];
    for (let i = 0; i < MAR.length; i++) {
      const r = f.push(MAR.subarray(i, i + 1));
      expect(r.error).toBeUndefined();
      out.push(...r.messages);
      if (i < MAR.length - 1) expect(out).toHaveLength(0);
    }
    expect(out).toHaveLength(1);
    expect(out[0]!.equals(MAR)).toBe(true);
    expect(decodeMessage(out[0]!).error).toBeUndefined();
  });

  it('handles messages split across chunks at arbitrary points, with a trailing partial message', () => {
    const stream = Buffer.concat([DWR, MAR, CER, DWR]);
    const f = new DiameterFramer();
    const out: Buffer[] = [];
    const cuts = [3, 50, 51, 200, 301, 390, 391];
    let at = 0;
    for (const c of [...cuts, stream.length - 5]) {
      out.push(...f.push(stream.subarray(at, c)).messages);
      at = c;
    }
    expect(out.map((m) => m.length)).toEqual([DWR.length, MAR.length, CER.length]);
    expect(f.pending).toBe(DWR.length - 5);
    expect(f.push(stream.subarray(at)).messages[0]!.equals(DWR)).toBe(true);
  });

  it('fails the stream on a length above the limit, with a clear reason, and stays failed', () => {
    const f = new DiameterFramer({ maxMessageLength: 1024 * 1024 });
    const bad = Buffer.from('01ffffff80000118', 'hex');
    const r = f.push(Buffer.concat([DWR, bad]));
    expect(r.messages).toHaveLength(1);
    expect(r.error).toEqual({
      resultCode: 5015,
      reason: 'Message Length 16777215 is above the 1048576-byte limit: cannot frame the stream',
    });
    expect(f.push(DWR)).toEqual({ messages: [], error: r.error });
  });

  it('fails the stream on a length below the 20-byte header (0 never loops)', () => {
    const f = new DiameterFramer();
    const r = f.push(Buffer.from('0100000080000118', 'hex'));
    expect(r.error?.reason).toBe('Message Length 0 is below the 20-byte header: cannot frame the stream');
    expect(f.error).toBe(r.error);
  });
});
