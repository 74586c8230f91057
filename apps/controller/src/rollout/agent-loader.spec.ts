import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentLoadError, loadAgent, loadPredicate } from './agent-loader.js';

const dir = mkdtempSync(join(tmpdir(), 'agents-'));
function module(name: string, source: string): string {
  const file = join(dir, name);
  writeFileSync(file, source);
  return file;
}

async function loadError(path: string): Promise<string> {
  try {
    await loadAgent(path, {});
  } catch (err) {
    expect(err).toBeInstanceOf(AgentLoadError);
    return (err as Error).message;
  }
  throw new Error('expected a load error');
}

describe(loadAgent.name, () => {
  it('loads a module exporting run, a default object, a default function and a class (with agent_kwargs)', async () => {
    const named = await loadAgent(module('named.mjs', 'export async function run(d) { return d.x; }'), {});
    expect(await named.run({ x: 3 }, {} as never)).toBe(3);
    const object = await loadAgent(module('object.mjs', 'export default { run: () => 4 };'), {});
    expect(await object.run({}, {} as never)).toBe(4);
    const fn = await loadAgent(module('fn.mjs', 'export default async function (d) { return 5; }'), {});
    expect(await fn.run({}, {} as never)).toBe(5);
    const cls = await loadAgent(
      module('cls.mjs', 'export default class A { constructor(k) { this.k = k; } run() { return this.k.bonus; } }'),
      { bonus: 6 },
    );
    expect(await cls.run({}, {} as never)).toBe(6);
    const picked = await loadAgent(`${module('pick.mjs', 'export const mine = { run: () => 7 };')}#mine`, {});
    expect(await picked.run({}, {} as never)).toBe(7);
  });

  it('refuses what is not an agent, with the reason', async () => {
    expect(await loadError(join(dir, 'missing.mjs'))).toMatch(/module not found/);
    expect(await loadError(module('norun.mjs', 'export const x = 1;'))).toMatch(/must export run\(data, ctx\)/);
    expect(await loadError(module('broken.mjs', 'export function run( {'))).toMatch(/cannot load/);
    expect(await loadError(module('throws.mjs', 'throw new Error("no config");'))).toMatch(/no config/);
    expect(await loadError(`${module('x.mjs', 'export const a = 1;')}#b`)).toMatch(/no export named "b"/);
    expect(
      await loadError(
        module('ctor.mjs', 'export default class A { constructor() { throw new Error("bad kwargs"); } }'),
      ),
    ).toMatch(/bad kwargs/);
    expect(await loadError('')).toMatch(/non-empty/);
  });

  it('loads accept predicates from a default or an `accept` export', async () => {
    const byDefault = await loadPredicate(module('p1.mjs', 'export default (e) => e.ok;'));
    expect(byDefault({ ok: true })).toBe(true);
    const named = await loadPredicate(module('p2.mjs', 'export function accept(e) { return !e.ok; }'));
    expect(named({ ok: true })).toBe(false);
    await expect(loadPredicate(module('p3.mjs', 'export const x = 1;'))).rejects.toThrow(/accept function/);
  });
});
