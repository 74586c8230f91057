import { createHash } from 'node:crypto';

/**
 * AReaL 2.0's deterministic seed for request `index` of a session with `identity`: SHA-256 of
 * the UTF-8 text `identity:index`, first 4 bytes as a big-endian unsigned integer, low 31 bits.
 * `("17", 0)` → 422241094; `("17:0", 0)` → 437721237.
 */
export function deterministicSeed(identity: string, index: number): number {
  if (!Number.isInteger(index) || index < 0) throw new RangeError('the request index must be a non-negative integer');
  const digest = createHash('sha256').update(`${identity}:${index}`, 'utf8').digest();
  return digest.readUInt32BE(0) & 0x7fffffff;
}
