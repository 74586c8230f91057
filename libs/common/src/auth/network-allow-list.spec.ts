import { describe, expect, it } from '@jest/globals';
import { NetworkAllowList, networkProblem } from './network-allow-list.js';

describe(NetworkAllowList.name, () => {
  const match = (entries: string[], address: string | undefined) => new NetworkAllowList(entries).match(address);

  it.each([
    [['10.0.0.0/8'], '10.255.1.2', '10.0.0.0/8'],
    [['10.0.0.0/8'], '11.0.0.1', null],
    [['127.0.0.1/32'], '127.0.0.1', '127.0.0.1/32'],
    [['127.0.0.1/32'], '127.0.0.2', null],
    [['127.0.0.1'], '127.0.0.1', '127.0.0.1'],
    [['192.168.4.0/22'], '192.168.7.255', '192.168.4.0/22'],
    [['192.168.4.0/22'], '192.168.8.0', null],
    [['0.0.0.0/0'], '203.0.113.9', '0.0.0.0/0'],
  ])('IPv4: %j contains %s → %s', (entries, address, expected) => {
    expect(match(entries, address)).toBe(expected);
  });

  it.each([
    [['fd00::/8'], 'fd12:3456::1', 'fd00::/8'],
    [['fd00::/8'], 'fe80::1', null],
    [['::1/128'], '::1', '::1/128'],
    [['::1/128'], '::2', null],
    [['2001:db8::/32'], '2001:0db8:ffff::1', '2001:db8::/32'],
    [['2001:db8::/33'], '2001:db8:8000::1', null],
    [['::/0'], '2001:db8::1', '::/0'],
  ])('IPv6: %j contains %s → %s', (entries, address, expected) => {
    expect(match(entries, address)).toBe(expected);
  });

  it('matches IPv4-mapped IPv6 peers (dual-stack sockets) against IPv4 networks, in dotted and hex form', () => {
    expect(match(['10.0.0.0/8'], '::ffff:10.1.2.3')).toBe('10.0.0.0/8');
    expect(match(['10.0.0.0/8'], '::ffff:a01:203')).toBe('10.0.0.0/8');
    expect(match(['10.0.0.0/8'], '::FFFF:11.1.2.3')).toBeNull();
    expect(match(['127.0.0.1/32'], '::ffff:127.0.0.1')).toBe('127.0.0.1/32');
  });

  it('matches IPv4 peers against IPv4-mapped IPv6 networks', () => {
    expect(match(['::ffff:0:0/96'], '198.51.100.7')).toBe('::ffff:0:0/96');
    expect(match(['::ffff:10.0.0.0/104'], '10.9.9.9')).toBe('::ffff:10.0.0.0/104');
    expect(match(['::ffff:10.0.0.0/104'], '11.9.9.9')).toBeNull();
  });

  it('keeps IPv6 loopback apart from IPv4 loopback', () => {
    expect(match(['127.0.0.0/8'], '::1')).toBeNull();
    expect(match(['::1/128'], '127.0.0.1')).toBeNull();
  });

  it('ignores a zone index on a link-local peer', () => {
    expect(match(['fe80::/10'], 'fe80::1%eth0')).toBe('fe80::/10');
  });

  it('answers the first entry that contains the address', () => {
    expect(match(['10.1.0.0/16', '10.0.0.0/8'], '10.1.2.3')).toBe('10.1.0.0/16');
    expect(match(['10.1.0.0/16', '10.0.0.0/8'], '10.2.2.3')).toBe('10.0.0.0/8');
  });

  it('matches nothing when empty, or for a missing or non-IP address', () => {
    expect(new NetworkAllowList([]).isEmpty).toBe(true);
    expect(match([], '127.0.0.1')).toBeNull();
    expect(match(['0.0.0.0/0', '::/0'], undefined)).toBeNull();
    expect(match(['0.0.0.0/0', '::/0'], 'localhost')).toBeNull();
    expect(match(['0.0.0.0/0', '::/0'], '')).toBeNull();
  });

  it.each([
    ['10.0.0.0/33', 'the prefix length must be 0 to 32'],
    ['fd00::/129', 'the prefix length must be 0 to 128'],
    ['10.0.0.0/', 'the prefix length must be 0 to 32'],
    ['10.0.0.0/-1', 'the prefix length must be 0 to 32'],
    ['10.0.0.0/8.5', 'the prefix length must be 0 to 32'],
    ['10.0.0/8', 'is not an IPv4 or IPv6 address'],
    ['localhost', 'is not an IPv4 or IPv6 address'],
    ['fe80::1%eth0/128', 'is not an IPv4 or IPv6 address'],
    ['10.1.2.3/8', 'has host bits set (the network would be 10.0.0.0/8)'],
    ['fd00::1/8', 'has host bits set (the network would be fd00::/8)'],
  ])('refuses %j: %s', (entry, problem) => {
    expect(networkProblem(entry)).toContain(problem);
    expect(() => new NetworkAllowList([entry])).toThrow(problem);
  });

  it('accepts what it matches', () => {
    for (const entry of ['10.0.0.0/8', '127.0.0.1/32', '::1/128', 'fd00::/8', '::ffff:0:0/96', '0.0.0.0/0', '::/0'])
      expect(networkProblem(entry)).toBeNull();
  });
});
