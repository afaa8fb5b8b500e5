/** The answers of the HSS, named as TS 29.229 6.2 and RFC 6733 7.1 name them. */
import { VENDOR_3GPP } from '@ut-testbed/diameter-codec';

export const SUCCESS = 2001;
export const UNABLE_TO_COMPLY = 5012;

/** Cx/Sh experimental results (vendor 10415), TS 29.229 6.2.2 / TS 29.329 6.2. */
export const ERROR_USER_UNKNOWN = { vendorId: VENDOR_3GPP, code: 5001 } as const;
export const ERROR_IDENTITIES_DONT_MATCH = { vendorId: VENDOR_3GPP, code: 5002 } as const;
export const ERROR_AUTH_SCHEME_NOT_SUPPORTED = { vendorId: VENDOR_3GPP, code: 5006 } as const;
/** Sh: the requested Data-Reference cannot be served (TS 29.329 6.2.2.3) */
export const ERROR_USER_DATA_CANNOT_BE_READ = { vendorId: VENDOR_3GPP, code: 5102 } as const;
