import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DynamicModule, Type } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants.js';
import { parseOptions } from '@app/common';
import { CONTROLLER_APP } from '../../apps/controller/src/controller.app.js';
import { DATA_PROXY_APP } from '../../apps/data-proxy/src/data-proxy.app.js';
import { ENGINE_SIM_APP } from '../../apps/engine-sim/src/engine-sim.app.js';
import { GATEWAY_APP } from '../../apps/gateway/src/gateway.app.js';
import { ROUTER_APP } from '../../apps/router/src/router.app.js';

/**
 * docs/ARCHITECTURE.md draws each app's module graph; this keeps the drawing true. The graph is
 * read from the modules' own metadata (what `@Module({ imports })` says), starting at the module
 * each app's definition builds from its default options, exactly as `main.ts` does.
 */
const ROOT = resolve(import.meta.dirname, '../..');

type ModuleRef = Type | DynamicModule;

const APPS = {
  gateway: GATEWAY_APP,
  router: ROUTER_APP,
  'data-proxy': DATA_PROXY_APP,
  controller: CONTROLLER_APP,
  'engine-sim': ENGINE_SIM_APP,
} as const;

function isDynamic(module: ModuleRef): module is DynamicModule {
  return typeof module === 'object' && 'module' in module;
}

/** Each module's name → the names of the modules it imports, from the root module down. */
function graphOf(root: ModuleRef): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (module: ModuleRef): void => {
    const type = isDynamic(module) ? module.module : module;
    if (graph.has(type.name)) return;
    const imports = [
      ...((Reflect.getMetadata(MODULE_METADATA.IMPORTS, type) as ModuleRef[] | undefined) ?? []),
      ...(isDynamic(module) ? ((module.imports ?? []) as ModuleRef[]) : []),
    ];
    graph.set(type.name, imports.map((imported) => (isDynamic(imported) ? imported.module : imported).name).sort());
    imports.forEach(visit);
  };
  visit(root);
  return graph;
}

/** The graph a `### <app>` section of the document draws: lines `Module → Imported, Imported`. */
function documentedGraph(document: string, app: string): Map<string, string[]> {
  const section = document.split(/^### /m).find((part) => part.startsWith(`${app} `) || part.startsWith(`${app}\n`));
  const block = section?.match(/```text\n([\s\S]*?)```/)?.[1];
  if (!block) throw new Error(`docs/ARCHITECTURE.md has no module graph for ${app}`);
  const graph = new Map<string, string[]>();
  const add = (name: string): string[] => graph.get(name) ?? graph.set(name, []).get(name)!;
  for (const line of block.split('\n').filter((l) => l.trim() !== '')) {
    const [from, to = ''] = line.split('→').map((part) => part.trim());
    const imports = to === '' ? [] : to.split(',').map((name) => name.trim());
    add(from).push(...imports);
    imports.forEach(add);
  }
  for (const imports of graph.values()) imports.sort();
  return graph;
}

describe('module graphs', () => {
  const document = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');

  it.each(Object.keys(APPS) as (keyof typeof APPS)[])(
    '%s: docs/ARCHITECTURE.md draws the graph its modules declare',
    (app) => {
      const definition = APPS[app];
      const options = parseOptions(definition.options, [], {}).options;
      const root = (definition.module as (options: unknown) => ModuleRef)(options);
      expect(Object.fromEntries(graphOf(root))).toEqual(Object.fromEntries(documentedGraph(document, app)));
    },
  );
});
