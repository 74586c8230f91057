import { NetworkAllowList } from '../auth/network-allow-list.js';
import { DEFAULT_ADMIN_API_KEY } from '../config/default-admin-key.js';

const LOOPBACK = new NetworkAllowList(['127.0.0.0/8', '::1/128']);

/** Whether `host` only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || LOOPBACK.match(h) !== null;
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
