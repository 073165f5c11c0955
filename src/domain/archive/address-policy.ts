import { isIP } from 'node:net';

/**
 * Which addresses a download may reach. Everything that is not ordinary public unicast is refused outside
 * development: a result URL must never make the server reach into its own network (SSRF).
 */
export type AddressClass =
  | 'public'
  | 'private'
  | 'loopback'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'unspecified'
  | 'reserved'
  | 'invalid';

type V4Rule = [base: number, prefix: number, cls: AddressClass];

const V4_RULES: readonly V4Rule[] = [
  [v4('0.0.0.0'), 8, 'unspecified'],
  [v4('10.0.0.0'), 8, 'private'],
  [v4('100.64.0.0'), 10, 'cgnat'],
  [v4('127.0.0.0'), 8, 'loopback'],
  [v4('169.254.0.0'), 16, 'link-local'],
  [v4('172.16.0.0'), 12, 'private'],
  [v4('192.0.0.0'), 24, 'reserved'],
  [v4('192.0.2.0'), 24, 'reserved'],
  [v4('192.168.0.0'), 16, 'private'],
  [v4('198.18.0.0'), 15, 'reserved'],
  [v4('198.51.100.0'), 24, 'reserved'],
  [v4('203.0.113.0'), 24, 'reserved'],
  [v4('224.0.0.0'), 4, 'multicast'],
  [v4('240.0.0.0'), 4, 'reserved'],
];

function v4(text: string): number {
  return text.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function classifyV4(value: number): AddressClass {
  for (const [base, prefix, cls] of V4_RULES) {
    const size = 2 ** (32 - prefix);
    if (value >= base && value < base + size) return cls;
  }
  return 'public';
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped, embedded dotted quad allowed). */
export function v6Groups(text: string): number[] | undefined {
  let address = text.split('%')[0]!;
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (quad) {
    const n = v4(quad[1]!);
    address = `${address.slice(0, -quad[1]!.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = address.split('::') as [string, string | undefined];
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 0) return undefined;
  return [...left, ...Array<number>(missing).fill(0), ...right];
}

function classifyV6(text: string): AddressClass {
  const g = v6Groups(text);
  if (!g || g.some((x) => Number.isNaN(x))) return 'invalid';
  const [a = 0, b = 0] = g;
  const embeddedV4 = ((g[6]! << 16) >>> 0) + g[7]!;
  if (g.every((x) => x === 0)) return 'unspecified';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach an IPv4 host.
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) return classifyV4(embeddedV4);
  if (a === 0x64 && b === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return classifyV4(embeddedV4);
  // 6to4 (2002:a.b.c.d::/48) carries an IPv4 address in groups 1-2.
  if (a === 0x2002) return classifyV4(((b << 16) >>> 0) + g[2]!);
  if ((a & 0xfe00) === 0xfc00) return 'private';
  if ((a & 0xffc0) === 0xfe80) return 'link-local';
  if ((a & 0xffc0) === 0xfec0) return 'private';
  if ((a & 0xff00) === 0xff00) return 'multicast';
  if (a === 0x2001 && b === 0x0db8) return 'reserved';
  // Teredo (2001::/32) tunnels to an IPv4 host through a relay, its address obfuscated in the last groups: no rule can vet it.
  if (a === 0x2001 && b === 0x0000) return 'reserved';
  if ((a & 0xe000) !== 0x2000) return 'reserved';
  return 'public';
}

/** Classifies an IP address literal (no brackets). */
export function classifyAddress(address: string): AddressClass {
  const family = isIP(address.split('%')[0]!);
  if (family === 4) return classifyV4(v4(address));
  if (family === 6) return classifyV6(address);
  return 'invalid';
}

/** Whether a download may connect to `address`. */
export type AddressPolicy = (address: string) => boolean;

export const publicOnly: AddressPolicy = (address) => classifyAddress(address) === 'public';
export const anyAddress: AddressPolicy = (address) => classifyAddress(address) !== 'invalid';

/** The policy the configuration asks for: anything in development and tests (the simulator is on 127.0.0.1). */
export function addressPolicy(allowPrivate: boolean): AddressPolicy {
  return allowPrivate ? anyAddress : publicOnly;
}
