/** The application usages this server serves, and lookup by AUID. */
import type { AppUsage } from '../types';
import { omaPresRules } from './oma-pres-rules';
import { presRules } from './pres-rules';
import { resourceLists } from './resource-lists';
import { rlsServices } from './rls-services';
import { simservs } from './simservs';
import { xcapCaps } from './xcap-caps';

export const USAGES: readonly AppUsage[] = [
  xcapCaps,
  resourceLists,
  rlsServices,
  presRules,
  omaPresRules,
  simservs,
];

const byAuid = new Map(USAGES.map((u) => [u.auid, u]));

/** The application usage of an AUID (exact, case-sensitive as RFC 4825 AUIDs are), or undefined. */
export function findUsage(auid: string): AppUsage | undefined {
  return byAuid.get(auid);
}

export { omaPresRules, presRules, resourceLists, rlsServices, simservs, xcapCaps };
