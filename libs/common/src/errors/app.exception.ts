import { HttpException } from '@nestjs/common';
import type { ErrorCode } from './error-codes.js';

/** One item of a validation failure, in the reference's (FastAPI/pydantic) shape. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export interface AppExceptionOptions {
  /**
   * Replaces the default `{"detail": message}` body, for wire shapes the reference defines
   * differently (the gateway's `{"error": ...}`). `code` is always added.
   */
  body?: Record<string, unknown>;
  /** Send `body` exactly, without adding `code` (a simulated server's byte-exact error). */
  omitCode?: boolean;
  /** `detail` value when it is not the message (a validation issue list). */
  detail?: unknown;
  /** The request field at fault (OpenAI's error `param`), for the APIs whose errors name it. */
  param?: string;
  /** Extra response headers (`Retry-After`, ...). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * The exception services throw. The filter turns it into
 * `{"detail": <message or detail>, "code": <code>}` with the given status.
 */
export class AppException extends HttpException {
  constructor(
    status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details: AppExceptionOptions = {},
  ) {
    super(message, status, { cause: details.cause });
  }

  /** The JSON body sent to the client. */
  toBody(): Record<string, unknown> {
    if (this.details.body) return this.details.omitCode ? this.details.body : { ...this.details.body, code: this.code };
    return { detail: this.details.detail ?? this.message, code: this.code };
  }
}
