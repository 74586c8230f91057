import { describe, expect, it } from '@jest/globals';
import { assertAdminKeyAllowed, isLoopbackHost } from './admin-key-policy.js';

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });
  it.each(['0.0.0.0', '::', '10.0.0.3', 'example.com', '192.168.1.1'])('%s is not loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('assertAdminKeyAllowed', () => {
  it('refuses the default key on a non-loopback bind', () => {
    expect(() => assertAdminKeyAllowed('0.0.0.0', 'areal-admin-key', false)).toThrow('--admin-api-key');
  });
  it('allows the default key on loopback, a real key anywhere, and the explicit override', () => {
    expect(() => assertAdminKeyAllowed('127.0.0.1', 'areal-admin-key', false)).not.toThrow();
    expect(() => assertAdminKeyAllowed('0.0.0.0', 's3cret', false)).not.toThrow();
    expect(() => assertAdminKeyAllowed('0.0.0.0', 'areal-admin-key', true)).not.toThrow();
  });
});
