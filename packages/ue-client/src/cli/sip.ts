/**
 * `ue publish` and `ue subscribe URI`: the presence user agent for one operation, through the presence
 * server of the config (or --proxy). The UA asserts its identity (P-Asserted-Identity), which the server
 * believes only from its presence.trustedPeers: hence it binds to 127.0.0.1 unless told otherwise.
 *
 * publish leaves the publication in place when it exits: the server keeps it for the interval granted.
 * Another `ue publish` is another publication (RFC 3903 4.2: an initial PUBLISH replaces nothing), whose
 * tuple the presentity's composed state shows next to the first; `--etag` names the first one instead
 * (SIP-If-Match), which modifies it (4.4) or, with --expires 0, removes it (4.5). subscribe prints each
 * NOTIFY as one JSON line with the view the watch keeps, and after --count NOTIFYs unsubscribes and waits
 * for the final NOTIFY (not printed).
 */
import { commandConfig, UsageError, type Io } from '@ut-testbed/service-kit';
import type { Config } from '@ut-testbed/config';
import type { Protocol, Target } from '@ut-testbed/sip-core';
import { Option, type Command } from 'commander';
import type { PresenceStatus } from '../sip/pidf';
import { createUa, type Ua } from '../sip/ua';
import type { Watch, WatchEventPackage, WatchUpdate } from '../sip/watch';
import { WatchEndedError } from '../sip/errors';
import {
  addCommonOptions,
  checkImpu,
  Failure,
  hostPort,
  json,
  listenTarget,
  oneLine,
  positive,
  readInput,
  refuseAlgorithm,
  seconds,
  subscriberOf,
  verboseTracer,
  type CommonFlags,
} from './common';

interface SipFlags extends CommonFlags {
  proxy?: string;
  transport?: Protocol;
  bind: string;
  expires?: number;
}

interface PublishFlags extends SipFlags {
  basic?: 'open' | 'closed';
  note?: string;
  file?: string;
  etag?: string;
}

interface SubscribeFlags extends SipFlags {
  event: WatchEventPackage;
  list?: boolean;
  count?: number;
  untilTerminated?: boolean;
}

function addSipOptions(c: Command): Command {
  return c
    .option('--proxy <host:port>', "where the SIP requests go (default the config's presence.listen)")
    .addOption(
      new Option(
        '--transport <protocol>',
        "default the first of the config's presence.listen.transports",
      ).choices(['udp', 'tcp']),
    )
    .option(
      '--bind <host>',
      "the UA's address: the presence server believes P-Asserted-Identity only from its trustedPeers",
      '127.0.0.1',
    )
    .option('--expires <seconds>', 'the interval asked for (default 3600)', seconds);
}

/** The UA's identity: --identity, else the subscriber's first SIP public identity. */
function identityOf(o: SipFlags, config: Config): string {
  if (o.identity !== undefined) {
    const id = checkImpu(o.identity, '--identity');
    if (!/^sips?:/i.test(id)) throw new UsageError('--identity: presence needs a sip: or sips: identity');
    return id;
  }
  const sub = subscriberOf(o, config);
  const id = sub.impus.find((u) => /^sips?:/i.test(u));
  if (id === undefined)
    throw new UsageError(`${sub.impi} has no sip: public identity: give one with --identity`);
  return id;
}

function proxyOf(o: SipFlags, config: Config): Target {
  const protocol = o.transport ?? config.presence.listen.transports[0]!;
  const a =
    o.proxy !== undefined
      ? hostPort(o.proxy, '--proxy')
      : listenTarget(config.presence.listen, 'presence.listen', '--proxy');
  return { protocol, ...a };
}

async function openUa(o: SipFlags, io: Io): Promise<{ ua: Ua; close(): Promise<void> }> {
  refuseAlgorithm(o);
  const config = commandConfig(o.config);
  const identity = identityOf(o, config);
  const proxy = proxyOf(o, config);
  const tracer = verboseTracer(o, io);
  let ua: Ua;
  try {
    ua = await createUa({
      identity,
      proxy,
      transports: [{ protocol: proxy.protocol, host: o.bind, port: 0 }],
      ...(tracer ? { tracer } : {}),
    });
  } catch (e) {
    throw new Failure(`cannot open the SIP endpoint on ${o.bind}: ${oneLine(e)}`);
  }
  return {
    ua,
    async close() {
      await ua.close();
      await tracer?.close();
    },
  };
}

async function publish(o: PublishFlags, io: Io): Promise<void> {
  if (o.file !== undefined && (o.basic !== undefined || o.note !== undefined))
    throw new UsageError('--file is a whole PIDF document: give either it or --basic/--note');
  if (o.etag !== undefined && !/^[\x21-\x7e]+$/.test(o.etag))
    throw new UsageError('--etag: expected the etag a previous publish printed');
  const body: string | PresenceStatus =
    o.file !== undefined
      ? readInput(o.file, '--file').toString('utf8')
      : { basic: o.basic ?? 'open', ...(o.note !== undefined ? { note: o.note } : {}) };
  const { ua, close } = await openUa(o, io);
  try {
    const p = await ua.publish(body, {
      ...(o.expires !== undefined ? { expires: o.expires } : {}),
      // the body goes with a removal too (the UA's publications always carry one); the server ignores it
      ...(o.etag !== undefined ? { headers: [['SIP-If-Match', o.etag] as const] } : {}),
    });
    json(io, { status: p.response?.status ?? null, etag: p.etag === '' ? null : p.etag, expires: p.expires });
  } catch (e) {
    throw new Failure(oneLine(e));
  } finally {
    await close();
  }
}

/** One NOTIFY as printed: its state and the view of the watch's kind (raw bodies left out). */
function notifyLine(w: Watch, u: WatchUpdate): Record<string, unknown> {
  return {
    state: u.state,
    reason: u.reason ?? null,
    expires: u.expires ?? null,
    ...(u.retryAfter !== undefined ? { retryAfter: u.retryAfter } : {}),
    ...(u.resync ? { resync: true } : {}),
    ...(w.kind === 'presence' ? { presence: u.presence ?? null } : {}),
    ...(w.kind === 'winfo' ? { watcherinfo: u.watcherinfo ?? null } : {}),
    ...(w.kind === 'list' ? { list: u.list ?? null, ...(u.changed ? { changed: u.changed } : {}) } : {}),
  };
}

// the PIDF documents (and list parts) as received: the view holds what they say
const withoutBodies = (key: string, value: unknown): unknown => (key === 'body' ? undefined : value);

async function subscribe(
  uri: string,
  o: SubscribeFlags,
  io: Io,
  onStarted: (close: () => Promise<void>) => void,
): Promise<void> {
  if (o.list && o.event !== 'presence') throw new UsageError('--list: event lists are for --event presence');
  if (o.count !== undefined && o.untilTerminated)
    throw new UsageError('give --count or --until-terminated, not both');
  if (!/^(?:sips?|tel|pres):\S+$/i.test(uri))
    throw new UsageError(
      `${uri}: expected the URI of a presentity or a list, e.g. sip:user2_public1@home1.net`,
    );
  const count = o.untilTerminated ? Infinity : (o.count ?? 1);
  const { ua, close } = await openUa(o, io);
  try {
    let watch: Watch;
    try {
      watch = await ua.subscribe(uri, {
        event: o.event,
        ...(o.list ? { list: true } : {}),
        ...(o.expires !== undefined ? { expires: o.expires } : {}),
      });
    } catch (e) {
      throw new Failure(oneLine(e));
    }
    // SIGINT/SIGTERM (--until-terminated runs until then): unsubscribe rather than leave the dialog behind
    onStarted(async () => {
      if (watch.state !== 'terminated') await watch.unsubscribe().catch(() => undefined);
      await close();
    });
    for (let seen = 0; seen < count;) {
      let u: WatchUpdate;
      try {
        u = await watch.next();
      } catch (e) {
        if (e instanceof WatchEndedError) break;
        throw e;
      }
      // a NOTIFY the watch refused (answered 400/415) changed no view: it is the failure, not a line
      if (u.error) throw new Failure(`the subscription to ${uri} ended: ${oneLine(u.error)}`);
      if (u.notification) {
        json(io, notifyLine(watch, u), withoutBodies);
        seen++;
      }
      if (u.state === 'terminated') break;
    }
    if (watch.state !== 'terminated') {
      try {
        await watch.unsubscribe();
      } catch (e) {
        throw new Failure(`unsubscribing from ${uri}: ${oneLine(e)}`);
      }
    }
  } finally {
    await close();
  }
}

export function addSipCommands(p: Command, io: Io, onStarted: (close: () => Promise<void>) => void): void {
  addSipOptions(addCommonOptions(p.command('publish')))
    .description('PUBLISH presence (RFC 3903) for the identity; prints {status, etag, expires}')
    .addOption(new Option('--basic <status>', 'the tuple status (default open)').choices(['open', 'closed']))
    .option('--note <text>', 'a note in the tuple')
    .option('--file <file>', 'a whole PIDF document to publish instead')
    .option(
      '--etag <etag>',
      'modify the publication of this SIP-ETag (SIP-If-Match); remove it with --expires 0',
    )
    .action((o: PublishFlags) => publish(o, io));
  addSipOptions(addCommonOptions(p.command('subscribe')))
    .description('SUBSCRIBE to a presentity or a list; prints one JSON line per NOTIFY')
    .argument('<uri>', 'the presentity (or the list URI with --list), e.g. sip:user2_public1@home1.net')
    .addOption(
      new Option('--event <package>', 'the event package')
        .choices(['presence', 'presence.winfo'])
        .default('presence'),
    )
    .option('--list', 'an event list (RFC 4662): Supported: eventlist, the RLMI view')
    .option('--count <n>', 'end after this many NOTIFYs (default 1), then unsubscribe', positive)
    .option('--until-terminated', 'print NOTIFYs until the subscription ends (or SIGINT: unsubscribe)')
    .action((uri: string, o: SubscribeFlags) => subscribe(uri, o, io, onStarted));
}
