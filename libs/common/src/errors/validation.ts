import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppException, ValidationIssue } from './app.exception.js';
import { ErrorCode } from './error-codes.js';

function flattenIssues(errors: ValidationError[], path: (string | number)[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const error of errors) {
    const loc = [...path, error.property];
    for (const [type, msg] of Object.entries(error.constraints ?? {})) {
      issues.push({ loc, msg, type });
    }
    if (error.children?.length) issues.push(...flattenIssues(error.children, loc));
  }
  return issues;
}

/** The 422 the reference's FastAPI services give for an invalid body: `detail` is a list of issues. */
export function validationFailed(issues: ValidationIssue[]): AppException {
  const message = issues.map((issue) => `${issue.loc.slice(1).join('.') || 'body'}: ${issue.msg}`).join('; ');
  return new AppException(422, ErrorCode.VALIDATION_FAILED, message, { detail: issues, body: undefined });
}

/**
 * Body validation for typed endpoints: the body must be a JSON object, then class-validator rules
 * apply. Unknown fields are dropped, not rejected (the reference ignores them too). Failures are
 * 422 with the issue list as `detail`, plus a readable `message`.
 */
@Injectable()
export class BodyValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: false,
      transform: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors: ValidationError[]) => validationFailed(flattenIssues(errors, ['body'])),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object && !metadata.data) {
      if (value === undefined || value === null) {
        throw validationFailed([{ loc: ['body'], msg: 'Field required', type: 'missing' }]);
      }
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw validationFailed([{ loc: ['body'], msg: 'Input should be a JSON object', type: 'model_type' }]);
      }
    }
    return super.transform(value, metadata);
  }
}
