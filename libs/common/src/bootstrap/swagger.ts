import { applyDecorators, type INestApplication, type Type } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiProduces,
  DocumentBuilder,
  getSchemaPath,
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type ResponseObject,
} from '@nestjs/swagger';
import { ErrorResponseDto, ValidationIssueDto } from '@app/contracts';

export interface SwaggerInfo {
  title: string;
  description: string;
  /** The error body class of a path and status (default: `{"detail", "code"}` everywhere). */
  errorBody?: (path: string, status: number) => Type<unknown>;
  /** Error bodies that `errorBody` can name, so that their schemas are in the document. */
  errorBodies?: Type<unknown>[];
}

/**
 * The errors every operation can answer whatever its handler does: the body parser's and the
 * limits' (for operations that take a body), the admin guard's, and an internal error. Handlers
 * declare their own (404, 409, 429, 502…) with `@ApiResponse`.
 */
const BODY_ERRORS: Record<string, string> = {
  '400': 'Malformed JSON, or a field that is not what it must be',
  '413': 'Body larger than --max-body-bytes',
  '415': 'Content type is not application/json',
  '422': 'The body is not a JSON object, or a field fails validation',
};
const ADMIN_ERRORS: Record<string, string> = {
  '401': 'Missing or malformed Authorization header',
  '403': 'Not the admin key',
};
const ALWAYS: Record<string, string> = { '500': 'Internal error (details are logged, never sent)' };

/**
 * Adds the error envelope to every 4xx/5xx response of every operation (and the errors every
 * operation can answer), so that a client generated from the document knows each error's shape.
 */
export function documentErrors(
  document: OpenAPIObject,
  errorBody: (path: string, status: number) => Type<unknown>,
): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'post', 'put', 'delete', 'patch'] as const) {
      const op = (item as Record<string, OperationObject | undefined>)[method];
      if (!op) continue;
      const wanted = {
        ...ALWAYS,
        ...(op.requestBody ? BODY_ERRORS : {}),
        ...(op.security?.length ? ADMIN_ERRORS : {}),
      };
      for (const [status, description] of Object.entries(wanted))
        op.responses[status] ??= { description } satisfies ResponseObject;
      for (const [status, response] of Object.entries(op.responses)) {
        if (!response || Number(status) < 400 || '$ref' in response) continue;
        response.content ??= {
          'application/json': { schema: { $ref: getSchemaPath(errorBody(path, Number(status))) } },
        };
      }
    }
  }
  return document;
}

/** Swagger UI at `/docs`, the OpenAPI document at `/openapi.json`. */
export function setupSwagger(app: INestApplication, info: SwaggerInfo): void {
  const config = new DocumentBuilder()
    .setTitle(info.title)
    .setDescription(info.description)
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'admin key or session key' })
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'the same key (Anthropic SDKs)' },
      'x-api-key',
    )
    .build();
  const errorBody = info.errorBody ?? (() => ErrorResponseDto);
  const build = (): OpenAPIObject =>
    documentErrors(
      SwaggerModule.createDocument(app, config, {
        extraModels: [ErrorResponseDto, ValidationIssueDto, ...(info.errorBodies ?? [])],
      }),
      errorBody,
    );
  SwaggerModule.setup('docs', app, build, { jsonDocumentUrl: 'openapi.json', raw: ['json'] });
}

/** A server-sent event stream whose `data:` events are `type` (documented as such). */
export function ApiEventStream(type: Type<unknown>, description: string): MethodDecorator {
  return applyDecorators(
    ApiProduces('text/event-stream'),
    ApiOkResponse({ type, description: `Server-sent events; each \`data:\` is one ${type.name}. ${description}` }),
  );
}

/** A 200 whose body is empty (as the real engine answers), documented as an empty text body. */
export function ApiEmptyOkResponse(description: string): MethodDecorator {
  return applyDecorators(
    ApiOkResponse({
      description,
      content: { 'text/plain': { schema: { type: 'string', maxLength: 0, example: '' } } },
    }),
  );
}
