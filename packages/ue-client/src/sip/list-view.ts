/**
 * The subscriber's view of an event list (RFC 4662 section 5): the resources of the list with their
 * instances, and for each active instance the state its part carried. A full-state RLMI document
 * (`fullState="true"`) replaces the view; a partial one updates the resources it names (by URI), and within
 * them the instances it names (by id), leaving the others as they were. RFC 4662 numbers the list
 * notifications of one subscription (`version`, one higher each time): a document not above the view's
 * version is an old or repeated one and is ignored; a partial document that skips a version, or comes
 * before any full one, means a notification was lost, so the view is kept and the caller refreshes the
 * subscription, whose NOTIFY carries full state (the same rule as watcherinfo's `applyWatcherinfo`).
 *
 * Not here: nested lists (a part that is itself a list body stays an opaque part), the list-level cid.
 */
import type { RlmiList, RlmiState } from '@ut-testbed/presence-server';
import type { ListPart } from './notify-bodies';
import type { PresenceState } from './pidf';

export interface ListInstance {
  id: string;
  state: RlmiState;
  /** terminated: the reason of the back-end subscription (e.g. noresource, rejected) */
  reason?: string;
  /** active: the last PIDF document received for it */
  presence?: PresenceState;
  /** active: the last part received for it when it is not PIDF (kept as it came) */
  part?: ListPart;
}

export interface ListResource {
  uri: string;
  name?: string;
  instances: ListInstance[];
}

export interface ListView {
  uri: string;
  version: number;
  name?: string;
  resources: ListResource[];
}

function instance(
  i: RlmiList['resources'][number]['instances'][number],
  parts: Map<string, ListPart>,
  before: ListInstance | undefined,
): ListInstance {
  const out: ListInstance = { id: i.id, state: i.state };
  if (i.reason !== undefined) out.reason = i.reason;
  if (i.state !== 'active') return out;
  const part = i.cid !== undefined ? parts.get(i.cid) : undefined;
  if (part?.presence) out.presence = part.presence;
  else if (part) out.part = part;
  else if (before?.state === 'active') {
    // an active instance without a part carries no new state: the last one received still holds
    if (before.presence) out.presence = before.presence;
    if (before.part) out.part = before.part;
  }
  return out;
}

/** The view after a received list body, as a new object; 'resync' when notifications were lost. */
export function applyList(
  view: ListView | undefined,
  list: RlmiList,
  parts: Map<string, ListPart>,
): ListView | 'resync' {
  if (view && list.version <= view.version) return view;
  if (list.fullState) {
    return {
      uri: list.uri,
      version: list.version,
      ...(list.name !== undefined ? { name: list.name } : {}),
      resources: list.resources.map((r) => ({
        uri: r.uri,
        ...(r.name !== undefined ? { name: r.name } : {}),
        instances: r.instances.map((i) => instance(i, parts, undefined)),
      })),
    };
  }
  if (!view || list.version !== view.version + 1) return 'resync';
  const resources = view.resources.map((r) => ({ ...r, instances: [...r.instances] }));
  for (const r of list.resources) {
    let target = resources.find((x) => x.uri === r.uri);
    if (!target) {
      target = { uri: r.uri, instances: [] };
      resources.push(target);
    }
    if (r.name !== undefined) target.name = r.name;
    for (const i of r.instances) {
      const at = target.instances.findIndex((x) => x.id === i.id);
      const next = instance(i, parts, at >= 0 ? target.instances[at] : undefined);
      if (at >= 0) target.instances[at] = next;
      else target.instances.push(next);
    }
  }
  return {
    uri: view.uri,
    version: list.version,
    ...(list.name !== undefined ? { name: list.name } : view.name !== undefined ? { name: view.name } : {}),
    resources,
  };
}
