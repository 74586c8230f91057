import { AppException, ErrorCode, fieldReaders, optionalJsonObject, requireJsonObject } from '@app/common';
import type {
  ControllerSetVersionRequestDto,
  OnlineReadyRequestDto,
  OnloadRequestDto,
  RegisterModelRequestDto,
  WaitTrajectoriesRequestDto,
} from '@app/contracts';

/**
 * The control API's bodies, read with the shared field readers into their contract classes. A
 * body that is not a JSON object is a 422 (as everywhere); a field that is not what it must be, a
 * 400 naming it.
 */
export const MAX_WAIT_COUNT = 4096;
export const MAX_WAIT_S = 3600;

export function badControlRequest(message: string): AppException {
  return new AppException(400, ErrorCode.BAD_REQUEST, message);
}

const fields = fieldReaders(badControlRequest);

/** `strict`, on every broadcast (an absent body is `{}`). */
export function parseStrict(body: unknown): boolean {
  return fields.boolean(optionalJsonObject(body), 'strict') ?? false;
}

export function parseSetVersion(body: unknown): Required<ControllerSetVersionRequestDto> {
  const b = requireJsonObject(body);
  const version = fields.integer(b, 'version', { min: 0 });
  if (version === undefined) throw badControlRequest('version must be a non-negative integer');
  return { version, strict: parseStrict(b) };
}

export function parseOnload(body: unknown): OnloadRequestDto & { strict: boolean } {
  const b = optionalJsonObject(body);
  const tags = fields.stringList(b, 'tags', 16);
  if (tags?.some((tag) => tag.length === 0)) throw badControlRequest('tags must be a list of non-empty strings');
  return { ...(tags ? { tags } : {}), strict: parseStrict(b) };
}

/** The model to register; data proxies default to every data proxy of the stack. */
export function parseRegisterModel(body: unknown, defaultAddrs: () => string[]): Required<RegisterModelRequestDto> {
  const b = requireJsonObject(body);
  const model = fields.string(b, 'model', 512);
  if (!model) throw badControlRequest('model is required');
  return {
    model,
    url: fields.string(b, 'url', 2048) ?? '',
    api_key: typeof b.api_key === 'string' ? b.api_key : null,
    data_proxy_addrs: fields.stringList(b, 'data_proxy_addrs', 4096) ?? defaultAddrs(),
  };
}

export function parseOnlineReady(body: unknown): OnlineReadyRequestDto {
  const b = requireJsonObject(body);
  const sessionId = fields.string(b, 'session_id', 512);
  if (!sessionId) throw badControlRequest('session_id must be a non-empty string');
  const trajectoryId = fields.integer(b, 'trajectory_id', { min: 0 });
  if (trajectoryId === undefined) throw badControlRequest('trajectory_id must be a non-negative integer');
  return { session_id: sessionId, trajectory_id: trajectoryId };
}

export type WaitTrajectoriesRequest = Required<Pick<WaitTrajectoriesRequestDto, 'count' | 'timeout_s' | 'format'>> &
  Pick<WaitTrajectoriesRequestDto, 'discount' | 'style' | 'schema'>;

export function parseWaitTrajectories(body: unknown): WaitTrajectoriesRequest {
  const b = optionalJsonObject(body);
  return {
    count: fields.integer(b, 'count', { min: 1, max: MAX_WAIT_COUNT }) ?? 1,
    timeout_s: fields.number(b, 'timeout_s', { min: 0, max: MAX_WAIT_S }) ?? 30,
    discount: fields.number(b, 'discount'),
    style: fields.oneOf(b, 'style', ['individual', 'concat'] as const),
    format: fields.oneOf(b, 'format', ['json', 'rpc'] as const) ?? 'json',
    schema: fields.oneOf(b, 'schema', ['interactions', 'traj'] as const),
  };
}
