import { AppException, ErrorCode } from '@app/common';
import { acceptSpecError } from './accept-predicate.js';

export const MAX_BATCH_ITEMS = 4096;
export const MAX_GROUP_SIZE = 64;
const MAX_TIMEOUT_S = 7 * 24 * 3600;

/** The episode settings shared by submit, batch and prepare_batch (validated, nothing loaded). */
export interface EpisodeRequest {
  /** Agent module path; null ⇒ online mode. */
  agent: string | null;
  agentKwargs: Record<string, unknown>;
  groupSize: number;
  accept: unknown;
  discount: number | undefined;
  style: 'individual' | 'concat' | undefined;
  format: 'json' | 'rpc';
  episodeTimeoutS: number | undefined;
}

export function bad(message: string): AppException {
  return new AppException(400, ErrorCode.BAD_REQUEST, message);
}

export function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('body must be a JSON object');
  return body as Record<string, unknown>;
}

export function optionalObject(body: unknown): Record<string, unknown> {
  return body === undefined || body === null || body === '' ? {} : requireObject(body);
}

export function integerField(b: Record<string, unknown>, key: string, min: number, max: number, fallback?: number) {
  const value = b[key] ?? fallback;
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max)
    throw bad(`${key} must be an integer from ${min} to ${max}`);
  return value as number;
}

export function timeoutField(b: Record<string, unknown>, key: string, fallback: number): number {
  const value = b[key] ?? fallback;
  if (typeof value !== 'number' || !(value >= 0) || value > MAX_TIMEOUT_S)
    throw bad(`${key} must be a number of seconds from 0 to ${MAX_TIMEOUT_S}`);
  return value;
}

/**
 * Reads the episode settings of a request; `defaultAgent` is the configured agent (`--agent`),
 * used when the request names none. `"agent": null` asks for online mode explicitly.
 */
export function parseEpisodeRequest(b: Record<string, unknown>, defaultAgent: string): EpisodeRequest {
  let agent: string | null;
  if (b.agent === undefined) agent = defaultAgent || null;
  else if (b.agent === null) agent = null;
  else if (typeof b.agent === 'string' && b.agent.trim().length > 0) agent = b.agent;
  else throw bad('agent must be a module path (or null for online mode)');
  const kwargs = b.agent_kwargs ?? {};
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs))
    throw bad('agent_kwargs must be an object');
  const groupSize = integerField(b, 'group_size', 1, MAX_GROUP_SIZE, 1);
  if (agent === null && groupSize > 1) throw bad('online mode (no agent) requires group_size 1');
  const acceptError = acceptSpecError(b.accept);
  if (acceptError) throw bad(acceptError);
  if (
    b.discount !== undefined &&
    (typeof b.discount !== 'number' || !(b.discount >= 0) || !Number.isFinite(b.discount))
  )
    throw bad('discount must be a non-negative number');
  if (b.style !== undefined && b.style !== 'individual' && b.style !== 'concat')
    throw bad('style must be "individual" or "concat"');
  if (b.format !== undefined && b.format !== 'json' && b.format !== 'rpc') throw bad('format must be "json" or "rpc"');
  return {
    agent,
    agentKwargs: kwargs as Record<string, unknown>,
    groupSize,
    accept: b.accept ?? null,
    discount: b.discount,
    style: b.style,
    format: b.format ?? 'json',
    episodeTimeoutS:
      b.episode_timeout_s === undefined ? undefined : timeoutField(b, 'episode_timeout_s', 0) || undefined,
  };
}
