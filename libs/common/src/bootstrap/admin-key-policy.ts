import { isIP } from 'node:net';
import { DEFAULT_ADMIN_API_KEY } from '../config/default-admin-key.js';

/** Whether `host` only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return h.slice(7).startsWith('127.');
  return false;
}

/**
 * Refuses the reference's well-known default admin key on a non-loopback bind: anyone who can
 * reach the port could otherwise pause generation or read every trajectory.
 * `AREAL_ALLOW_DEFAULT_ADMIN_KEY=1` overrides, as upstream allows.
 */
export function assertAdminKeyAllowed(host: string, adminKey: string, allowDefault: boolean): void {
  if (adminKey === DEFAULT_ADMIN_API_KEY && !isLoopbackHost(host) && !allowDefault) {
    throw new Error(
      `--admin-api-key: the default admin key is refused when binding ${host} (not loopback); ` +
        'pass a secret key with --admin-api-key (or ADMIN_API_KEY), or set AREAL_ALLOW_DEFAULT_ADMIN_KEY=1',
    );
  }
}
