/** The merged dictionary: AVP definitions keyed by (code, vendor) and by name, applications, commands. */
import type { AvpDefinition, CommandDefinition, DictionaryPart } from './types';
import { baseDictionary } from './base';
import { cxDictionary } from './cx';
import { zhDictionary } from './zh';
import { shDictionary } from './sh';
import { impuListDictionary } from './impu-list';

export * from './types';
export * from './base';
export * from './cx';
export * from './zh';
export * from './sh';
export * from './impu-list';

export class Dictionary {
  private readonly byVendor = new Map<number, Map<number, AvpDefinition>>();
  private readonly byName = new Map<string, AvpDefinition>();
  private readonly applications = new Map<number, string>();
  private readonly vendors = new Map<number, string>();
  private readonly commands = new Map<string, CommandDefinition>();
  private readonly experimental = new Map<number, Readonly<Record<number, string>>>();

  constructor(readonly parts: readonly DictionaryPart[]) {
    for (const part of parts) {
      for (const [id, name] of Object.entries(part.vendors ?? {})) this.vendors.set(Number(id), name);
      for (const app of part.applications ?? []) this.applications.set(app.id, app.name);
      for (const c of part.commands ?? []) this.commands.set(`${c.code}/${c.applicationId ?? '*'}`, c);
      if (part.experimentalResults) {
        const prev = this.experimental.get(part.experimentalResults.vendorId) ?? {};
        this.experimental.set(part.experimentalResults.vendorId, {
          ...prev,
          ...part.experimentalResults.values,
        });
      }
      for (const def of part.avps) {
        let codes = this.byVendor.get(def.vendorId);
        if (!codes) this.byVendor.set(def.vendorId, (codes = new Map()));
        if (codes.has(def.code)) throw new Error(`AVP (${def.code}, ${def.vendorId}) defined twice`);
        if (this.byName.has(def.name)) throw new Error(`AVP name ${def.name} defined twice`);
        codes.set(def.code, def);
        this.byName.set(def.name, def);
      }
    }
  }

  /** The definition of AVP (code, vendor), undefined when unknown. */
  avp(code: number, vendorId: number): AvpDefinition | undefined {
    return this.byVendor.get(vendorId)?.get(code);
  }

  /** The definition of a named AVP; throws for a name the dictionary lacks (a programming error). */
  named(name: string): AvpDefinition {
    const def = this.byName.get(name);
    if (!def) throw new Error(`unknown AVP name ${name}`);
    return def;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  applicationName(id: number): string | undefined {
    return this.applications.get(id);
  }

  vendorName(id: number): string | undefined {
    return this.vendors.get(id);
  }

  /** The command (code, application), falling back to the base protocol commands valid in any application. */
  command(code: number, applicationId: number): CommandDefinition | undefined {
    return this.commands.get(`${code}/${applicationId}`) ?? this.commands.get(`${code}/*`);
  }

  /** The name of an Experimental-Result-Code of a vendor, e.g. (10415, 5001) DIAMETER_ERROR_USER_UNKNOWN. */
  experimentalResultName(vendorId: number, code: number): string | undefined {
    return this.experimental.get(vendorId)?.[code];
  }
}

/** Base + Cx + Zh + Sh + IMPU-List, what the testbed's HSS and AP use. */
export const defaultDictionary = new Dictionary([
  baseDictionary,
  cxDictionary,
  zhDictionary,
  shDictionary,
  impuListDictionary,
]);
