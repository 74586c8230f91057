import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Controller, Post, RequestMethod, type DynamicModule, type Type } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import {
  AdminKeyGuard,
  AdminOnly,
  adminRuleOf,
  callerKeyRuleOf,
  ControlPlane,
  parseOptions,
  SessionKey,
} from '@app/common';
import { CONTROLLER_APP } from '../../apps/controller/src/controller.app.js';
import { DATA_PROXY_APP } from '../../apps/data-proxy/src/data-proxy.app.js';
import { GATEWAY_APP } from '../../apps/gateway/src/gateway.app.js';
import { ROUTER_APP } from '../../apps/router/src/router.app.js';

/**
 * Every route of every service, read from the controllers' own decorators (no process started, so
 * a route left out of the OpenAPI document is read too), carries the guard its row in
 * docs/SECURITY.md names: `admin` and `control` routes the admin-key guard with that rule,
 * `session` routes a caller-key guard that turns a call without a key away, `optional-session`
 * routes one that serves it. A route missing from the table, or an admin route whose guard was
 * dropped, fails here before test/e2e/auth-matrix.e2e-spec.ts calls it.
 */
const ROOT = resolve(import.meta.dirname, '../..');

const APPS = {
  gateway: GATEWAY_APP,
  router: ROUTER_APP,
  'data-proxy': DATA_PROXY_APP,
  controller: CONTROLLER_APP,
} as const;

type ModuleRef = Type | DynamicModule;

function isDynamic(module: ModuleRef): module is DynamicModule {
  return typeof module === 'object' && 'module' in module;
}

/** Every controller the app's module tree declares, as `main.ts` builds it from default options. */
function controllersOf(app: keyof typeof APPS): Type[] {
  const definition = APPS[app];
  const options = parseOptions(definition.options, [], {}).options;
  const root = (definition.module as (options: unknown) => ModuleRef)(options);
  const seen = new Set<Type>();
  const controllers = new Set<Type>();
  const visit = (module: ModuleRef): void => {
    const type = isDynamic(module) ? module.module : module;
    if (seen.has(type) && !isDynamic(module)) return;
    seen.add(type);
    for (const controller of [
      ...((Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, type) as Type[] | undefined) ?? []),
      ...(isDynamic(module) ? (module.controllers ?? []) : []),
    ])
      controllers.add(controller);
    [
      ...((Reflect.getMetadata(MODULE_METADATA.IMPORTS, type) as ModuleRef[] | undefined) ?? []),
      ...(isDynamic(module) ? ((module.imports ?? []) as ModuleRef[]) : []),
    ].forEach(visit);
  };
  visit(root);
  return [...controllers];
}

const asList = (value: string | string[] | undefined): string[] =>
  value === undefined ? ['/'] : Array.isArray(value) ? value : [value];

function joinPath(base: string, path: string): string {
  const joined = `/${base}/${path}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  // OpenAPI's form, as docs/SECURITY.md writes it.
  return joined.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

interface Route {
  endpoint: string;
  declared: string;
}

/** The auth class a route's decorators declare, in docs/SECURITY.md's words. */
function declaredClass(controller: Type, handler: object): string {
  const guards = [
    ...((Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[] | undefined) ?? []),
    ...((Reflect.getMetadata(GUARDS_METADATA, controller) as unknown[] | undefined) ?? []),
  ];
  const adminRule = adminRuleOf(controller, handler);
  if (adminRule !== undefined) return guards.includes(AdminKeyGuard) ? adminRule : `${adminRule} without its guard`;
  const keyRule = callerKeyRuleOf(controller, handler);
  if (keyRule === 'required') return 'session';
  if (keyRule === 'optional') return 'optional-session';
  return 'open';
}

function routesOf(controllers: Type[]): Route[] {
  const routes: Route[] = [];
  for (const controller of controllers) {
    const bases = asList(Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined);
    const names = new Set<string>();
    for (let proto = controller.prototype as object; proto !== Object.prototype; proto = Object.getPrototypeOf(proto))
      Object.getOwnPropertyNames(proto).forEach((name) => names.add(name));
    for (const name of names) {
      if (name === 'constructor') continue;
      const handler = (controller.prototype as Record<string, unknown>)[name];
      if (typeof handler !== 'function') continue;
      const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (paths === undefined || method === undefined) continue;
      const declared = declaredClass(controller, handler);
      for (const base of bases)
        for (const path of asList(paths))
          routes.push({ endpoint: `${RequestMethod[method]} ${joinPath(base, path)}`, declared });
    }
  }
  return routes;
}

/** docs/SECURITY.md's table: `service METHOD /path` → class. */
function securityTable(): Map<string, string> {
  const table = new Map<string, string>();
  for (const line of readFileSync(join(ROOT, 'docs/SECURITY.md'), 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const endpoint = /^`([A-Z]+ \/[^`]*)`$/.exec(cells[2] ?? '');
    if (endpoint && cells[3]) table.set(`${cells[1]} ${endpoint[1]}`, cells[3].replace(/`/g, ''));
  }
  return table;
}

/** The routes whose declared class is not the one the table gives them. */
function mismatches(app: string, routes: Route[], table: Map<string, string>) {
  return routes
    .map(({ endpoint, declared }) => ({ endpoint, declared, documented: table.get(`${app} ${endpoint}`) }))
    .filter(({ declared, documented }) => declared !== documented);
}

describe('route auth: each route carries the guard docs/SECURITY.md names', () => {
  const table = securityTable();

  it.each(Object.keys(APPS) as (keyof typeof APPS)[])('%s', (app) => {
    const routes = routesOf(controllersOf(app));
    expect(routes.length).toBeGreaterThan(5);
    expect(mismatches(app, routes, table)).toEqual([]);
    // Every admin or control row of the table is a route the app declares (none left unread).
    const declared = new Set(routes.map((r) => r.endpoint));
    const guardedRows = [...table.entries()]
      .filter(([key, klass]) => key.startsWith(`${app} `) && (klass === 'admin' || klass === 'control'))
      .map(([key]) => key.slice(app.length + 1));
    expect(guardedRows.filter((endpoint) => !declared.has(endpoint))).toEqual([]);
  });

  it('reads each decorator as its class, and flags an admin route without a guard', () => {
    @Controller('probe')
    class Probe {
      @Post('admin')
      @AdminOnly()
      admin(): void {}

      @Post('control')
      @ControlPlane()
      control(): void {}

      @Post(['chat', 'v1/chat'])
      @SessionKey()
      chat(): void {}

      @Post('optional/:id')
      @SessionKey({ optional: true })
      optional(): void {}

      @Post('forgotten')
      forgotten(): void {}
    }
    const routes = routesOf([Probe]);
    expect(routes).toEqual([
      { endpoint: 'POST /probe/admin', declared: 'admin' },
      { endpoint: 'POST /probe/control', declared: 'control' },
      { endpoint: 'POST /probe/chat', declared: 'session' },
      { endpoint: 'POST /probe/v1/chat', declared: 'session' },
      { endpoint: 'POST /probe/optional/{id}', declared: 'optional-session' },
      { endpoint: 'POST /probe/forgotten', declared: 'open' },
    ]);
    const documented = new Map(routes.map((r) => [`probe ${r.endpoint}`, r.declared]));
    documented.set('probe POST /probe/forgotten', 'admin');
    expect(mismatches('probe', routes, documented)).toEqual([
      { endpoint: 'POST /probe/forgotten', declared: 'open', documented: 'admin' },
    ]);
  });
});
