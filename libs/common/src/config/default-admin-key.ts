/**
 * The reference's default admin key: what every service accepts when none is configured, and
 * what the CLI and the controller's banner assume. Refused on non-loopback binds (see
 * `assertAdminKeyAllowed`). Node only, so that `@app/common/lite` can export it.
 */
export const DEFAULT_ADMIN_API_KEY = 'areal-admin-key';
