import { applyDecorators, Get, HttpCode, Post, type Type } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiResponse } from '@nestjs/swagger';

/**
 * What the router documents of one operation besides its controller's tag and the admin key's
 * 401/403 (the controller's `AdminOnly`).
 */
export interface RouterOperationDoc {
  summary: string;
  /** The 200 answer's DTO. */
  answer: Type<unknown>;
  /** The request body's DTO, for a handler that parses its body by hand (a DTO parameter documents itself). */
  body?: Type<unknown>;
  /** The error answers it can give, by status: when each is given. */
  errors?: Partial<Record<404 | 409 | 429 | 503, string>>;
}

/**
 * A POST of the router's API: it answers 200 (Nest's default for a POST is 201), documented as
 * `doc` says.
 */
export function RouterPost(path: string, doc: RouterOperationDoc): MethodDecorator {
  return applyDecorators(Post(path), HttpCode(200), documented(doc));
}

/** A GET of the router's API, documented as `doc` says. */
export function RouterGet(path: string, doc: RouterOperationDoc): MethodDecorator {
  return applyDecorators(Get(path), documented(doc));
}

function documented(doc: RouterOperationDoc): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary: doc.summary }),
    ApiOkResponse({ type: doc.answer }),
    ...Object.entries(doc.errors ?? {}).map(([status, description]) =>
      ApiResponse({ status: Number(status), description }),
    ),
    ...(doc.body ? [ApiBody({ type: doc.body })] : []),
  );
}
