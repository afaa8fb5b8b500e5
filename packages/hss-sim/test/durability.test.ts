/**
 * SQN durability (DESIGN.md section 7): the HSS process is killed with SIGKILL in the middle of a burst of
 * MARs, restarted on the same database, and asked again. Every SQN that ever left it must be unique, and
 * per IND every SEQ after the restart is above every SEQ before it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { indOf, Milenage, seqOf, sqnFromBytes } from '@ut-testbed/aka-crypto';
import { DiameterClient, readCxMaa } from '@ut-testbed/diameter-codec';
import { CX_PEER, mar, USER1 } from './support';
import { startProcess } from './process';

const m = new Milenage(USER1.k, USER1.opc);
function sqnOf(randAutn: Buffer): number {
  const { ak } = m.f2345(randAutn.subarray(0, 16));
  const sqn = Buffer.alloc(6);
  for (let i = 0; i < 6; i++) sqn[i] = randAutn[16 + i]! ^ ak[i]!;
  return sqnFromBytes(sqn);
}

async function client(endpoint: string, originHost: string): Promise<DiameterClient> {
  const [host, port] = endpoint.split(':');
  const c = new DiameterClient({
    host: host!,
    port: Number(port),
    local: { ...CX_PEER, originHost },
    maxInFlight: 1024,
    requestTimeout: 20_000,
    backoff: { min: 60_000, max: 60_000 }, // no reconnect to the killed process
  });
  await c.start();
  return c;
}

/** Keeps `inFlight` MARs outstanding until `stopAt()` says so; hands the SQN of every MAA to `record`. */
function burst(
  c: DiameterClient,
  originHost: string,
  inFlight: number,
  record: (sqn: number) => void,
  stopAt: () => boolean,
) {
  const one = async (): Promise<void> => {
    while (!stopAt()) {
      let answer;
      try {
        answer = await c.request(mar({ originHost }));
      } catch {
        return; // the connection died with the process
      }
      const item = readCxMaa(answer).items[0];
      if (item?.authenticate) record(sqnOf(item.authenticate));
    }
  };
  return Promise.all(Array.from({ length: inFlight }, one));
}

describe('SQN durability', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hss-kill-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('kill -9 in the middle of a burst of MARs never lets an SQN out twice', async () => {
    const cfg = join(dir, 'testbed.yaml');
    writeFileSync(
      cfg,
      JSON.stringify({ hss: { listen: { host: '127.0.0.1', port: 0 }, database: join(dir, 'hss.db') } }),
    );

    const first = await startProcess(cfg);
    const before: number[] = [];
    const a = await client(first.ready.endpoints.diameter, 'ap.home1.net');
    const b = await client(first.ready.endpoints.diameter, 'scscf.home1.net');
    let killed = false;
    // kill while 64 requests are in flight, as soon as the 2000th answer has come back
    const record = (sqn: number) => {
      before.push(sqn);
      if (before.length === 2000) {
        first.proc.kill('SIGKILL');
        killed = true;
      }
    };
    const running = Promise.all([
      burst(a, 'ap.home1.net', 32, record, () => killed),
      burst(b, 'scscf.home1.net', 32, record, () => killed),
    ]);
    expect((await first.exited).signal).toBe('SIGKILL');
    await running;
    await a.close();
    await b.close();

    const second = await startProcess(cfg);
    const after: number[] = [];
    const c = await client(second.ready.endpoints.diameter, 'ap.home1.net');
    const d = await client(second.ready.endpoints.diameter, 'scscf.home1.net');
    await Promise.all([
      Promise.all(
        Array.from({ length: 100 }, async () =>
          after.push(sqnOf(readCxMaa(await c.request(mar())).items[0]!.authenticate!)),
        ),
      ),
      Promise.all(
        Array.from({ length: 100 }, async () =>
          after.push(
            sqnOf(readCxMaa(await d.request(mar({ originHost: 'scscf.home1.net' }))).items[0]!.authenticate!),
          ),
        ),
      ),
    ]);
    await c.close();
    await d.close();
    second.proc.kill('SIGTERM');
    await second.exited;

    const all = [...before, ...after];
    expect(new Set(all).size).toBe(all.length);
    for (const ind of new Set(all.map((s) => indOf(s)))) {
      const maxBefore = Math.max(...before.filter((s) => indOf(s) === ind).map((s) => seqOf(s)));
      const minAfter = Math.min(...after.filter((s) => indOf(s) === ind).map((s) => seqOf(s)));
      expect(minAfter).toBeGreaterThan(maxBefore);
    }
    expect(new Set(all.map((s) => indOf(s))).size).toBe(2);
    expect(before.length).toBeGreaterThanOrEqual(2000);
  }, 60_000);
});
