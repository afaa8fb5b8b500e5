/** What this node says about itself in CER/CEA, DWR/DWA and DPR/DPA. */
import { APPLICATION_RELAY } from '../dictionary';
import type { Capabilities, VendorSpecificApplicationId } from '../builders/base';
import { PROCESS_ORIGIN_STATE_ID } from './identifiers';

export interface LocalPeer {
  originHost: string;
  originRealm: string;
  /** addresses for Host-IP-Address; default 127.0.0.1 */
  hostIpAddresses?: string[];
  /** Vendor-Id of the product; default 0 */
  vendorId?: number;
  productName?: string;
  firmwareRevision?: number;
  /** default: the process-wide value */
  originStateId?: number;
  /**
   * Applications, each advertised as Vendor-Specific-Application-Id {Vendor-Id, Auth-Application-Id}
   * (Kamailio 5.6 routes Cx only to peers that advertise it this way); `vendorId` 0 means a plain
   * Auth-Application-Id.
   */
  applications: { vendorId: number; authApplicationId: number }[];
  /** Supported-Vendor-Id values; default: every vendor of the applications */
  supportedVendorIds?: number[];
}

export function localCapabilities(l: LocalPeer): Capabilities {
  const vsai: VendorSpecificApplicationId[] = l.applications
    .filter((a) => a.vendorId !== 0)
    .map((a) => ({ vendorId: a.vendorId, authApplicationId: a.authApplicationId }));
  const plain = l.applications.filter((a) => a.vendorId === 0).map((a) => a.authApplicationId);
  const vendors = l.supportedVendorIds ?? [...new Set(vsai.map((v) => v.vendorId))];
  return {
    originHost: l.originHost,
    originRealm: l.originRealm,
    hostIpAddresses: l.hostIpAddresses ?? ['127.0.0.1'],
    vendorId: l.vendorId ?? 0,
    productName: l.productName ?? 'Ut testbed',
    originStateId: l.originStateId ?? PROCESS_ORIGIN_STATE_ID,
    supportedVendorIds: vendors,
    authApplicationIds: plain,
    vendorSpecificApplicationIds: vsai,
    ...(l.firmwareRevision !== undefined ? { firmwareRevision: l.firmwareRevision } : {}),
  };
}

/** The application ids a CER/CEA advertises, Auth- and Acct- alike, plain or inside VSAI. */
export function advertisedApplications(c: Capabilities): Set<number> {
  const ids = new Set<number>([...(c.authApplicationIds ?? []), ...(c.acctApplicationIds ?? [])]);
  for (const v of c.vendorSpecificApplicationIds ?? []) {
    if (v.authApplicationId !== undefined) ids.add(v.authApplicationId);
    if (v.acctApplicationId !== undefined) ids.add(v.acctApplicationId);
  }
  return ids;
}

/**
 * The common applications of RFC 6733 section 5.3: a peer advertising Relay (0xffffffff) shares every
 * application; otherwise the intersection.
 */
export function commonApplications(local: LocalPeer, remote: Capabilities): number[] {
  const theirs = advertisedApplications(remote);
  const ours = local.applications.map((a) => a.authApplicationId);
  if (theirs.has(APPLICATION_RELAY)) return ours;
  // a local Relay shares whatever the peer advertises
  if (ours.includes(APPLICATION_RELAY)) return [...theirs];
  return ours.filter((id) => theirs.has(id));
}
