/**
 * Provisioning from `hss.subscribers` at start: absent subscribers are added; an existing IMPI is never
 * overwritten (keys and SQN state live in the database), and a config entry that differs from it is
 * reported by field name.
 */
import type { SubscriberConfig } from '@ut-testbed/config';
import type { SubscriberStore } from './store/types';
import { differences, fromConfig } from './subscriber';

export interface ProvisionReport {
  added: string[];
  unchanged: string[];
  differing: { impi: string; fields: string[] }[];
}

export async function provision(
  store: SubscriberStore,
  subscribers: readonly SubscriberConfig[],
): Promise<ProvisionReport> {
  const report: ProvisionReport = { added: [], unchanged: [], differing: [] };
  for (const c of subscribers) {
    const wanted = fromConfig(c);
    if (await store.add(wanted)) {
      report.added.push(c.impi);
      continue;
    }
    const stored = (await store.get(c.impi))!;
    const fields = differences(stored, wanted);
    if (fields.length) report.differing.push({ impi: c.impi, fields });
    else report.unchanged.push(c.impi);
  }
  return report;
}
