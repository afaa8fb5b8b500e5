/** Declaring an application usage: its identity, its schemas and its checks; validate() runs them in order. */
import type { XmlDocument } from '../engine';
import type { UniquenessField } from '../errors';
import type { AppUsage, ValidationContext } from '../types';
import { throwIfDuplicates } from './tree';
import { SchemaValidator, type SchemaImport } from './schema';

type MaybePromise<T> = T | Promise<T>;

export interface UsageSpec extends Omit<AppUsage, 'validate'> {
  /** every namespace the usage's documents may use, with its schema file */
  schemas: readonly SchemaImport[];
  /**
   * Uniqueness checked before the XSD: for attributes the schema types as xs:ID, whose repeats libxml2 reports
   * only as an invalid xs:ID value; RFC 4825 wants a uniqueness-failure naming the field.
   */
  uniqueIds?: (xml: XmlDocument, ctx: ValidationContext) => UniquenessField[];
  /** the usage's uniqueness constraints (after the XSD) */
  uniqueness?: (xml: XmlDocument, ctx: ValidationContext) => MaybePromise<UniquenessField[]>;
  /** other constraints: throw XcapError.conflict('constraint-failure', phrase) */
  constraints?: (xml: XmlDocument, ctx: ValidationContext) => MaybePromise<void>;
}

/** An application usage as this package defines it: also lists the namespaces its schemas cover. */
export interface SchemaUsage extends AppUsage {
  schemaNamespaces: readonly string[];
  schema: SchemaValidator;
}

export function isSchemaUsage(u: AppUsage): u is SchemaUsage {
  return Array.isArray((u as Partial<SchemaUsage>).schemaNamespaces);
}

export function defineUsage(spec: UsageSpec): SchemaUsage {
  const { schemas, uniqueIds, uniqueness, constraints, ...usage } = spec;
  const schema = new SchemaValidator(schemas);
  return {
    ...usage,
    schemaNamespaces: schemas.map((s) => s.namespace),
    schema,
    async validate(xml: XmlDocument, ctx: ValidationContext): Promise<void> {
      if (uniqueIds) throwIfDuplicates(uniqueIds(xml, ctx));
      await schema.validate(xml.bytes);
      if (uniqueness) throwIfDuplicates(await uniqueness(xml, ctx));
      if (constraints) await constraints(xml, ctx);
    },
  };
}

/** Common namespaces. */
export const NS = {
  xcapCaps: 'urn:ietf:params:xml:ns:xcap-caps',
  resourceLists: 'urn:ietf:params:xml:ns:resource-lists',
  rlsServices: 'urn:ietf:params:xml:ns:rls-services',
  commonPolicy: 'urn:ietf:params:xml:ns:common-policy',
  presRules: 'urn:ietf:params:xml:ns:pres-rules',
  omaCommonPolicy: 'urn:oma:xml:xdm:common-policy',
  simservs: 'http://uri.etsi.org/ngn/params/xml/simservs/xcap',
} as const;
