import { isIPv6 } from 'node:net';

/** Host names or literals mapped to chosen IPv4 addresses, checked before the default mapping. */
export type HostAddressMap = Readonly<Record<string, string>>;

/** Parses a dotted-quad IPv4 literal (`a.b.c.d`, each 0..255) to a 32-bit number; undefined otherwise. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** Formats a 32-bit number as a dotted-quad IPv4 address. */
export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * The IPv4 address (as a 32-bit number) that stands for `host` in a capture:
 * 1. `overrides[host]` when present (it must be an IPv4 literal);
 * 2. an IPv4 literal stands for itself;
 * 3. an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, as Node reports peers on dual-stack sockets) stands
 *    for its IPv4 address;
 * 4. `localhost` and `::1` stand for 127.0.0.1;
 * 5. any other name or IPv6 literal stands for 127.x.y.z, where x.y.z are the low 24 bits of the FNV-1a
 *    hash of the host, lower-cased (IPv6 literals in their canonical compressed form first); 127.0.0.0,
 *    127.0.0.1 and 127.255.255.255 are not used. Two hosts may collide; `overrides` then separates them.
 */
export function ipv4NumberForHost(host: string, overrides?: HostAddressMap): number {
  const override = overrides?.[host];
  if (override !== undefined) {
    const value = parseIpv4(override);
    if (value === undefined)
      throw new TypeError(`address for host ${host} is not an IPv4 literal: ${override}`);
    return value;
  }
  let name = host.trim().toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  const literal = parseIpv4(name);
  if (literal !== undefined) return literal;
  const zone = name.indexOf('%');
  if (zone >= 0 && isIPv6(name.slice(0, zone))) name = name.slice(0, zone);
  if (isIPv6(name)) {
    name = new URL(`http://[${name}]/`).hostname.slice(1, -1);
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(name);
    if (mapped?.[1] !== undefined && mapped[2] !== undefined) {
      return (parseInt(mapped[1], 16) * 0x10000 + parseInt(mapped[2], 16)) >>> 0;
    }
  }
  if (name === 'localhost' || name === '::1') return 0x7f000001;
  let low = fnv1a32(name) & 0xffffff;
  if (low <= 1 || low === 0xffffff) low = 2;
  return (0x7f000000 | low) >>> 0;
}

/** {@link ipv4NumberForHost} as a dotted-quad string. */
export function ipv4ForHost(host: string, overrides?: HostAddressMap): string {
  return formatIpv4(ipv4NumberForHost(host, overrides));
}
