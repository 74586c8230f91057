/**
 * Malformed-request generator for the fuzz suite: deterministic (seeded), aimed at what services
 * must survive — invalid JSON, wrong types, huge numbers, deep nesting, oversized bodies, invalid
 * UTF-8, odd content types, bad auth headers and hostile path parameters.
 */

import { seeded, type Random } from '../support/seeded-random.js';

export { seeded, type Random };

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];

/** Field names the services read; random values under them reach the validators' type checks. */
const FIELDS = [
  'messages',
  'model',
  'stream',
  'session_id',
  'session_ids',
  'api_key',
  'session_api_key',
  'worker_addr',
  'worker_id',
  'version',
  'new_version',
  'reward',
  'tags',
  'count',
  'timeout_s',
  'input_ids',
  'text',
  'sampling_params',
  'prompt',
  'max_tokens',
  'max_new_tokens',
  'trajectory_id',
  'group_id',
  'sessions',
  'task_id',
  'interaction_id',
  'discount',
  'style',
  'format',
  'mode',
  'rid',
  'abort_all',
  'url',
  'name',
  'path',
  'tools',
  'remove_session',
  'strict',
  'group_size',
  'logprobs',
  'n',
  'temperature',
  'stop',
  'stream_options',
  'data_proxy_addrs',
  'backend_addr',
  'shard_ids',
  'content',
  'role',
] as const;

const STRINGS = [
  '',
  'x',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '😀'.repeat(50),
  'a'.repeat(10_000),
  '{"a":1}',
  'http://127.0.0.1:1',
  'javascript:alert(1)',
  '__hitl__',
  '\ud800',
];
const NUMBERS = [0, -1, 1.5, 2 ** 53 + 2, -(2 ** 63), 1e308, Number.MIN_VALUE, 7];

function value(random: Random, depth: number): unknown {
  const kind = Math.floor(random() * (depth > 3 ? 5 : 7));
  switch (kind) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return pick(random, NUMBERS);
    case 3:
    case 4:
      return pick(random, STRINGS);
    case 5:
      return Array.from({ length: Math.floor(random() * 4) }, () => value(random, depth + 1));
    default: {
      const out: Record<string, unknown> = {};
      const fields = Math.floor(random() * 5);
      for (let i = 0; i < fields; i++)
        out[random() < 0.8 ? pick(random, FIELDS) : pick(random, STRINGS)] = value(random, depth + 1);
      return out;
    }
  }
}

/** Built once and shared: generating it per request would take gigabytes. */
const HUGE_BODY = Buffer.alloc(70 * 1024 * 1024, 'z');
HUGE_BODY.write('{"text":"', 0);

/** A request body: raw bytes or text, chosen among the ways bodies go wrong. */
function body(random: Random): string | Buffer | undefined {
  switch (Math.floor(random() * 12)) {
    case 0:
      return undefined;
    case 1:
      return '';
    case 2:
      return pick(random, [
        'null',
        '[]',
        '{',
        '{"a":',
        '"str"',
        '12',
        'true',
        '{}{}',
        '\ufeff{}',
        '{"__proto__":{"x":1}}',
      ]);
    case 3:
      // Deep nesting: a parser that recurses must not blow the stack.
      return `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    case 4:
      return `{"version": 1${'0'.repeat(400)}, "reward": -1e999, "count": 1e309}`;
    case 5:
      // Invalid UTF-8 inside a JSON string.
      return Buffer.from([0x7b, 0x22, 0x6d, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]);
    case 6:
      // Oversized: 2 MiB is above the default limit, 70 MiB above the gateway's and data proxy's.
      return random() < 0.8 ? HUGE_BODY.subarray(0, 2 * 1024 * 1024) : HUGE_BODY;
    default:
      return JSON.stringify(value(random, 0));
  }
}

const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-16',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  undefined,
];

/** A path parameter as an attacker would write it. */
const PATH_VALUES = [
  'x',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '%00',
  encodeURIComponent('😀'),
  'a'.repeat(3000),
  '__all__',
  '%E0%A4%A',
  '1%0d%0aSet-Cookie:%20x',
];

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer | undefined;
}

export function fuzzRequest(
  random: Random,
  operations: readonly { method: string; path: string }[],
  keys: { admin: string; others: readonly string[] },
): FuzzRequest {
  const operation = pick(random, operations);
  const path = operation.path.replace(/\{[^}]+\}/g, () => pick(random, PATH_VALUES));
  const method = random() < 0.9 ? operation.method : pick(random, ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']);
  const headers: Record<string, string> = {};
  const auth = Math.floor(random() * 6);
  if (auth === 1 || auth === 2) headers.authorization = `Bearer ${keys.admin}`;
  if (auth === 3) headers.authorization = `Bearer ${pick(random, keys.others)}`;
  if (auth === 4)
    headers.authorization = pick(random, [
      'Basic abc',
      'Bearer',
      'Bearer  ',
      `Bearer ${keys.admin}\u00e9`,
      'bearer x y',
    ]);
  const contentType = pick(random, CONTENT_TYPES);
  const payload = method === 'GET' || method === 'DELETE' ? undefined : body(random);
  if (contentType && payload !== undefined) headers['content-type'] = contentType;
  return { method, path, headers, body: payload };
}
