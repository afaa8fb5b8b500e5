/** Documents and small helpers the Ut scenarios share. */
import { XcapError, type XcapClient, type XcapResult } from '@ut-testbed/ue-client';

export const RL_NS = 'urn:ietf:params:xml:ns:resource-lists';

/** A new, empty presence list (the contribution's section 3). */
export const EMPTY_LIST =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  `<resource-lists xmlns="${RL_NS}">\n` +
  '  <list name="friends"/>\n' +
  '</resource-lists>\n';

export const LIST = { auid: 'resource-lists', document: 'index' } as const;
export const FRIENDS = { name: 'list', attr: ['name', 'friends'] } as const;

/** The result of an XCAP operation, or the XcapError it failed with (a status the scenario expects). */
export async function attempt(op: Promise<XcapResult>): Promise<XcapResult | XcapError> {
  try {
    return await op;
  } catch (e) {
    if (e instanceof XcapError) return e;
    throw e;
  }
}

/** The statuses and credentials of the HTTP exchanges a request took. */
export function exchanges(r: XcapResult | XcapError): [number, string][] {
  return (r.response?.exchanges ?? []).map((e) => [e.status, e.credentials]);
}

export type { XcapClient };
