import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What an agent's `run(data, ctx)` receives besides the dataset item. */
export interface AgentContext {
  /** The gateway, OpenAI-compatible: pass it as `baseURL` to an OpenAI client. */
  baseUrl: string;
  /** This episode's session key: the OpenAI client's `apiKey`. */
  apiKey: string;
  /** Aborts when the episode times out, its group fails or the controller stops. */
  signal: AbortSignal;
  /** The model name registered in the gateway. */
  model: string;
  sessionId: string;
  taskId: number;
  /** This run's place in its group (0 … groupSize − 1). */
  groupIndex: number;
  groupSize: number;
  /** `agent_kwargs` of the request (also given to an agent class's constructor). */
  kwargs: Record<string, unknown>;
}

/**
 * A reward for the whole episode (given to its last interaction), or one per interaction:
 * a list in interaction order or an object keyed by interaction id (the completion's `id`).
 */
export type AgentResult = number | boolean | number[] | Record<string, number>;

export interface Agent {
  run(data: unknown, ctx: AgentContext): AgentResult | Promise<AgentResult>;
}

export class AgentLoadError extends Error {}

/** `path/to/module.mjs` or `path/to/module.mjs#exportName`, resolved against the working directory. */
export function resolveModulePath(spec: string): { file: string; exportName: string | null } {
  if (typeof spec !== 'string' || spec.trim().length === 0 || spec.length > 4096)
    throw new AgentLoadError('a module path must be a non-empty string');
  const hash = spec.lastIndexOf('#');
  const path = hash > 0 ? spec.slice(0, hash) : spec;
  const exportName = hash > 0 ? spec.slice(hash + 1) : null;
  const file = resolve(process.cwd(), path);
  if (!existsSync(file) || !statSync(file).isFile()) throw new AgentLoadError(`module not found: ${file}`);
  return { file, exportName };
}

/** Imports a module by path; a module that throws while loading is reported, not fatal. */
export async function importModule(spec: string): Promise<{ exported: unknown; file: string }> {
  const { file, exportName } = resolveModulePath(spec);
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new AgentLoadError(`cannot load ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (exportName !== null) {
    if (!(exportName in namespace)) throw new AgentLoadError(`${file} has no export named "${exportName}"`);
    return { exported: namespace[exportName], file };
  }
  // A module with a named `run` is the agent itself; otherwise its default export is.
  return { exported: typeof namespace.run === 'function' ? namespace : (namespace.default ?? namespace), file };
}

function isClass(value: unknown): value is new (kwargs: Record<string, unknown>) => unknown {
  return typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value));
}

/**
 * Loads an agent: a module whose exports (or default export) have `run(data, ctx)`, an object
 * with `run`, or a class whose instances have it (constructed with `agent_kwargs`). Anything
 * else is refused with the reason, like the reference's agent check.
 */
export async function loadAgent(spec: string, kwargs: Record<string, unknown>): Promise<Agent> {
  const { exported, file } = await importModule(spec);
  let candidate: unknown = exported;
  if (isClass(candidate)) {
    try {
      candidate = new candidate(kwargs);
    } catch (err) {
      throw new AgentLoadError(
        `constructing the agent class of ${file} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  // `export default async function (data, ctx)` is an agent too.
  if (typeof candidate === 'function') return { run: candidate as Agent['run'] };
  const run = (candidate as { run?: unknown } | null)?.run;
  if (typeof run !== 'function')
    throw new AgentLoadError(`${file} is not an agent: it must export run(data, ctx) (or a class or object with run)`);
  return candidate as Agent;
}

/** Loads a predicate module: a function exported as `accept`, as default, or named after `#`. */
export async function loadPredicate(spec: string): Promise<(trajectory: unknown) => unknown> {
  const { exported, file } = await importModule(spec);
  const candidate =
    typeof exported === 'function' ? exported : (exported as { accept?: unknown } | null | undefined)?.accept;
  if (typeof candidate !== 'function') throw new AgentLoadError(`${file} does not export an accept function`);
  return candidate as (trajectory: unknown) => unknown;
}
