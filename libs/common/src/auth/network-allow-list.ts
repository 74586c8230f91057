import { isIP } from 'node:net';

/**
 * Networks written as CIDRs (`10.0.0.0/8`, `fd00::/8`) or single addresses (`127.0.0.1`), matched
 * against a socket's peer address. Every address is compared in its 128-bit IPv6 form, IPv4 ones
 * as IPv4-mapped (`::ffff:a.b.c.d`), so an IPv4 network also contains the mapped form Node reports
 * for IPv4 clients of a dual-stack socket, and `::ffff:0:0/96` contains every IPv4 address.
 */
export class NetworkAllowList {
  private readonly networks: readonly Network[];

  /** Throws an `Error` naming the first entry that is not a network (see {@link networkProblem}). */
  constructor(entries: readonly string[]) {
    this.networks = entries.map((entry) => {
      const parsed = parseNetwork(entry);
      if (typeof parsed === 'string') throw new Error(parsed);
      return parsed;
    });
  }

  get isEmpty(): boolean {
    return this.networks.length === 0;
  }

  /** The entries as configured, for messages. */
  get entries(): string[] {
    return this.networks.map((n) => n.text);
  }

  /** The configured entry that contains `address` (a peer address, zone index allowed), or null. */
  match(address: string | undefined): string | null {
    if (address === undefined || this.networks.length === 0) return null;
    const bytes = addressBytes(address.replace(/%.*$/, ''));
    if (bytes === null) return null;
    for (const network of this.networks) if (contains(network, bytes)) return network.text;
    return null;
  }
}

/** Why `entry` is not a network, or null when it is one. For option validation. */
export function networkProblem(entry: string): string | null {
  const parsed = parseNetwork(entry);
  return typeof parsed === 'string' ? parsed : null;
}

interface Network {
  text: string;
  /** The network address, 16 bytes. */
  bytes: Uint8Array;
  /** Prefix length in the 128-bit form (an IPv4 /p is 96 + p). */
  prefix: number;
}

function parseNetwork(entry: string): Network | string {
  const text = entry.trim();
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = address.includes('%') ? 0 : isIP(address);
  if (family === 0) return `${JSON.stringify(entry)} is not an IPv4 or IPv6 address or network (CIDR)`;
  const width = family === 4 ? 32 : 128;
  let length = width;
  if (slash >= 0) {
    const given = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(given) || Number(given) > width)
      return `${JSON.stringify(entry)}: the prefix length must be 0 to ${width}`;
    length = Number(given);
  }
  const bytes = addressBytes(address)!;
  const prefix = length + (128 - width);
  const network = { text, bytes, prefix };
  // Host bits set (`10.1.2.3/8`) are a typo for some network; which one is the operator's call.
  if (!contains(network, bytes, true))
    return `${JSON.stringify(entry)} has host bits set (the network would be ${formatNetwork(bytes, prefix, family)})`;
  return network;
}

/** Whether `bytes` lies in `network`; with `exact`, whether the bits past the prefix are all 0. */
function contains(network: Network, bytes: Uint8Array, exact = false): boolean {
  for (let i = 0; i < 16; i++) {
    const kept = Math.max(0, Math.min(8, network.prefix - i * 8));
    const mask = kept === 0 ? 0 : (0xff << (8 - kept)) & 0xff;
    if (exact ? (bytes[i] & ~mask & 0xff) !== 0 : (bytes[i] & mask) !== (network.bytes[i] & mask)) return false;
  }
  return true;
}

/** The 16 bytes of an IPv4 (as IPv4-mapped) or IPv6 address; null when it is neither. */
function addressBytes(address: string): Uint8Array | null {
  const family = isIP(address);
  if (family === 4) return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ipv4Bytes(address)]);
  if (family !== 6) return null;
  // An IPv6 address may end in dotted IPv4 (`::ffff:10.0.0.1`): two more groups.
  let text = address.toLowerCase();
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = ipv4Bytes(tail[1]);
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest === undefined ? [] : rest ? rest.split(':') : [];
  const groups =
    rest === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

function formatNetwork(bytes: Uint8Array, prefix: number, family: number): string {
  const masked = Uint8Array.from(bytes, (byte, i) => {
    const kept = Math.max(0, Math.min(8, prefix - i * 8));
    return byte & (kept === 0 ? 0 : (0xff << (8 - kept)) & 0xff);
  });
  if (family === 4) return `${Array.from(masked.slice(12)).join('.')}/${prefix - 96}`;
  const groups = Array.from({ length: 8 }, (_, i) => ((masked[i * 2] << 8) | masked[i * 2 + 1]).toString(16));
  return `${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}/${prefix}`;
}
