import { Agent, request } from 'undici';
import type { ControllerStatusResponseDto } from '@app/contracts';

/** A command failed in a way the user must hear about: printed as is, exit status 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/**
 * The controller's API as the CLI calls it: the admin key on every call, JSON both ways, a
 * readable error for every failure (no stack traces for a refused call or a stack that is down).
 * The process's one pooled client is an undici Agent used directly: `@app/common`'s HttpClient
 * would load Nest and cost the CLI a second per command.
 */
export class ControllerClient {
  private readonly agent = new Agent({ connections: 4 });

  constructor(
    readonly url: string,
    private readonly adminKey: string,
  ) {}

  async call<T = Record<string, unknown>>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    base = this.url,
  ): Promise<T> {
    let status: number;
    let text: string;
    try {
      const res = await request(`${base}${path}`, {
        method,
        dispatcher: this.agent,
        headers: {
          authorization: `Bearer ${this.adminKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: 3_600_000,
        bodyTimeout: 3_600_000,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      throw new CliError(
        `cannot reach ${base}: ${err instanceof Error ? err.message : String(err)} (is the stack up? rollout up)`,
      );
    }
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (status >= 400) throw new CliError(`${method} ${path} answered ${status}: ${errorText(json, text)}`);
    return json as T;
  }

  status(): Promise<ControllerStatusResponseDto> {
    return this.call<ControllerStatusResponseDto>('GET', '/status');
  }
}

function errorText(json: unknown, text: string): string {
  if (json && typeof json === 'object') {
    const body = json as Record<string, unknown>;
    const detail = body.detail ?? body.error ?? body.message;
    if (typeof detail === 'string') return detail;
    if (detail !== undefined) return JSON.stringify(detail);
  }
  return text.slice(0, 300);
}
