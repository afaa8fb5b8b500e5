/**
 * Interop with libosmocore's Milenage through osmo-auc-gen (Debian libosmocore-utils): random K, OPc,
 * RAND, SQN and AMF; both implementations must give the same AUTN, RES, CK and IK, and osmo-auc-gen
 * must recover SQN_MS from the AUTS we compute.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import { Milenage } from '../src/milenage';
import { computeAuts } from '../src/resync';
import { makeSqn } from '../src/sqn';
import { VectorFactory } from '../src/vector';

const run = promisify(execFile);

async function osmo(args: string[]): Promise<Record<string, string>> {
  const { stdout } = await run('osmo-auc-gen', ['-3', '-a', 'milenage', ...args]);
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^([A-Za-z .]+):\s+(\S+)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

describe('Milenage against osmo-auc-gen (libosmocore)', () => {
  it('osmo-auc-gen is installed (Debian package libosmocore-utils)', async () => {
    await expect(
      run('osmo-auc-gen', ['--help']).catch((e: { code?: string | number }) => e.code),
    ).resolves.not.toBe('ENOENT');
  });

  it('agrees on 40 random vectors', async () => {
    for (let i = 0; i < 40; i++) {
      const k = randomBytes(16);
      const opc = randomBytes(16);
      const rand = randomBytes(16);
      const amf = randomBytes(2);
      const sqn = randomInt(0, 2 ** 47);
      const v = VectorFactory.forKeys(k, opc, amf).one(sqn, rand);
      const o = await osmo([
        '-k',
        k.toString('hex'),
        '-o',
        opc.toString('hex'),
        '-r',
        rand.toString('hex'),
        '-s',
        String(sqn),
        '-f',
        amf.toString('hex'),
      ]);
      expect({ autn: o.AUTN, res: o.RES, ck: o.CK, ik: o.IK }).toEqual({
        autn: v.autn.toString('hex'),
        res: v.xres.toString('hex'),
        ck: v.ck.toString('hex'),
        ik: v.ik.toString('hex'),
      });
    }
  });

  it('recovers SQN_MS from 20 AUTS values we compute', async () => {
    for (let i = 0; i < 20; i++) {
      const k = randomBytes(16);
      const opc = randomBytes(16);
      const rand = randomBytes(16);
      const sqnMs = makeSqn(randomInt(0, 2 ** 40), randomInt(0, 32));
      const auts = computeAuts(new Milenage(k, opc), rand, sqnMs);
      const o = await osmo([
        '-k',
        k.toString('hex'),
        '-o',
        opc.toString('hex'),
        '-r',
        rand.toString('hex'),
        '-A',
        auts.toString('hex'),
      ]);
      expect(o['SQN.MS']).toBe(String(sqnMs));
    }
  });
});
