/**
 * What a change of the users' XCAP documents (the XCAP server's change stream, RFC 5874 xcap-diff) does
 * to the presence server:
 * - pres-rules of a user (IETF or OMA usage): the rules are read again and every watch of that presentity
 *   is evaluated again (pending → active NOTIFY, active → terminated ...);
 * - resource-lists of a user: its OMA external lists may have changed (its rules again), and its event
 *   lists are resolved again;
 * - rls-services of a user: the global index is read again when next needed, and its event lists are
 *   resolved again (a service that is gone ends its subscriptions with reason noresource).
 * On every (re)connection of the stream, changes may have been missed: everything is read again.
 */
import type { Logger } from 'pino';
import type { ListService } from './rls/lists';
import type { Policies } from './watch/policies';
import type { WatchTable } from './watch/watches';
import { ChangeFollower, type DocumentChange } from './xcap/changes';
import { XcapClient } from './xcap/client';

export interface FollowOptions {
  root: string;
  policies: Policies;
  watches: WatchTable;
  lists: ListService;
  logger: Logger;
  aorOf: (uri: string) => string | undefined;
  xcapCa?: string | Buffer | undefined;
}

export interface Following {
  /** resolves once the stream is connected for the first time */
  readonly connected: Promise<void>;
  close(): Promise<void>;
}

/** The AUID and user of a document selector (`auid/users/<xui>/doc`); undefined user for global ones. */
export function selectorParts(sel: string): { auid: string; user?: string } {
  const auid = sel.split('/')[0] ?? '';
  const user = XcapClient.userOf(sel);
  return { auid, ...(user !== undefined ? { user } : {}) };
}

export function followChanges(o: FollowOptions): Following {
  let resolveConnected!: () => void;
  const connected = new Promise<void>((r) => (resolveConnected = r));
  // one reaction at a time, in the order the server committed the changes
  let chain: Promise<unknown> = Promise.resolve();
  const run = (what: string, fn: () => Promise<unknown>) => {
    chain = chain.then(fn).catch((e: unknown) => o.logger.error({ err: e }, what));
  };

  const apply = async (c: DocumentChange) => {
    const { auid, user } = selectorParts(c.documentSelector);
    const owner = user !== undefined ? (o.aorOf(user) ?? user) : undefined;
    switch (auid) {
      case 'pres-rules':
      case 'org.openmobilealliance.pres-rules':
        if (owner === undefined) return;
        o.policies.invalidate(owner);
        await o.watches.reevaluate(owner);
        return;
      case 'resource-lists':
        if (owner === undefined) return;
        o.policies.invalidate(owner);
        await o.watches.reevaluate(owner);
        await o.lists.ownerChanged(owner);
        return;
      case 'rls-services':
        o.lists.servicesChanged();
        if (owner !== undefined) await o.lists.ownerChanged(owner);
        return;
      default:
        return;
    }
  };

  const follower = new ChangeFollower({
    root: o.root,
    ...(o.xcapCa !== undefined ? { ca: o.xcapCa } : {}),
    onChange: (c) => run('applying an XCAP change', () => apply(c)),
    onConnected: () => {
      resolveConnected();
      run('reading everything again after the change stream connected', async () => {
        o.policies.invalidateAll();
        o.lists.servicesChanged();
        await o.watches.reevaluateAll();
        await o.lists.all();
      });
    },
    onDisconnected: (e) =>
      o.logger.warn({ reason: e.message, root: o.root }, 'XCAP change stream lost; reconnecting'),
  });
  follower.start();
  return {
    connected,
    async close() {
      await follower.close();
      await chain;
    },
  };
}
