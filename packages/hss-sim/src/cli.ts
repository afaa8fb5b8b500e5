/**
 * The `hss-sim` command (DESIGN.md section 5): `start` runs the HSS in the foreground and prints one ready
 * line; `subscriber add|list|show|remove` work on the same database. JSON on stdout, logs on stderr;
 * exit 0 success, 1 failure, 2 bad usage (a bad config file included).
 */
import { Option, type Command } from 'commander';
import { AUTH_SCHEMES, subscriberSchema } from '@ut-testbed/config';
import {
  addStartCommand,
  commandConfig,
  commandMain,
  commandProgram,
  runProgram,
  UsageError,
  type Io,
} from '@ut-testbed/service-kit';
import { createLogger } from './logger';
import { start } from './service';
import { SqliteSubscriberStore } from './store/sqlite';
import { fromConfig, view } from './subscriber';

export type { Io };

class Failure extends Error {}

function database(o: { config?: string; database?: string }): string {
  return o.database ?? commandConfig(o.config).hss.database;
}

function program(io: Io, onStarted: (close: () => Promise<void>) => void): Command {
  const json = (v: unknown) => io.out(JSON.stringify(v) + '\n');
  const p = commandProgram(
    'hss-sim',
    'the simulated HSS: Cx MAR/MAA, Sh UDR/UDA, Zh MAR/MAA over Diameter',
    io,
  );
  addStartCommand(p, {
    service: 'hss-sim',
    description: 'run the HSS in the foreground; prints {"ready":true,...} once it listens',
    io,
    start: (c) => start({ hss: c.hss, realm: c.realm, logger: createLogger() }),
    onStarted,
  });

  const db = (c: Command) =>
    c
      .option('--config <file>', 'configuration file: its hss.database is used')
      .option('--database <file>', 'SQLite database file (instead of the config)');

  const sub = p.command('subscriber').description('provision subscribers in the HSS database');
  db(sub.command('add').description('add a subscriber (fails if the IMPI exists)'))
    .requiredOption('--impi <impi>', 'private identity, user@realm')
    .requiredOption('--impu <uri...>', 'public identities (sip:, sips:, tel:); the first is the default')
    .requiredOption('--k <hex>', 'K, 32 hex digits')
    .option('--opc <hex>', 'OPc, 32 hex digits')
    .option('--op <hex>', 'OP, 32 hex digits (OPc is derived and stored)')
    .option('--amf <hex>', 'AMF, 4 hex digits', '8000')
    .option('--sqn <hex>', 'last SQN used, 12 hex digits')
    .addOption(new Option('--scheme <scheme>', 'default authentication scheme').choices([...AUTH_SCHEMES]))
    .action(async (o: Record<string, string | string[] | undefined>) => {
      const parsed = subscriberSchema.safeParse({
        impi: o.impi,
        impus: o.impu,
        k: o.k,
        ...(o.opc !== undefined ? { opc: o.opc } : {}),
        ...(o.op !== undefined ? { op: o.op } : {}),
        amf: o.amf,
        ...(o.sqn !== undefined ? { sqn: o.sqn } : {}),
        ...(o.scheme !== undefined ? { scheme: o.scheme } : {}),
      });
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        const flag = i.path[0] === 'impus' ? 'impu' : String(i.path[0] ?? '');
        throw new UsageError(`--${flag}: ${i.message}`);
      }
      const store = new SqliteSubscriberStore(database(o as { config?: string; database?: string }));
      try {
        if (!(await store.add(fromConfig(parsed.data))))
          throw new Failure(`subscriber ${o.impi} exists already`);
        json(view((await store.get(String(o.impi)))!));
      } finally {
        await store.close();
      }
    });

  db(sub.command('list').description('all subscribers (no keys unless --show-secrets)'))
    .option('--show-secrets', 'include K and OPc')
    .action(async (o: { config?: string; database?: string; showSecrets?: boolean }) => {
      const store = new SqliteSubscriberStore(database(o));
      try {
        json((await store.list()).map((s) => view(s, o.showSecrets)));
      } finally {
        await store.close();
      }
    });

  db(sub.command('show').description('one subscriber (no keys unless --show-secrets)').argument('<impi>'))
    .option('--show-secrets', 'include K and OPc')
    .action(async (impi: string, o: { config?: string; database?: string; showSecrets?: boolean }) => {
      const store = new SqliteSubscriberStore(database(o));
      try {
        const s = await store.get(impi);
        if (!s) throw new Failure(`no subscriber ${impi}`);
        json(view(s, o.showSecrets));
      } finally {
        await store.close();
      }
    });

  db(sub.command('remove').description('remove a subscriber').argument('<impi>')).action(
    async (impi: string, o: { config?: string; database?: string }) => {
      const store = new SqliteSubscriberStore(database(o));
      try {
        if (!(await store.remove(impi))) throw new Failure(`no subscriber ${impi}`);
        json({ removed: impi });
      } finally {
        await store.close();
      }
    },
  );
  return p;
}

/** Runs one command; resolves with the exit code (for `start`: once it is up and serving). */
export function run(
  argv: string[],
  io: Io,
  onStarted: (close: () => Promise<void>) => void = () => undefined,
): Promise<number> {
  return runProgram('hss-sim', program(io, onStarted), argv, io);
}

/** Entry point of the `hss-sim` command (bin/hss-sim.js). */
export function main(): void {
  commandMain('hss-sim', run);
}
