import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { bodyRulesOf } from '@app/contracts';
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

function describeIssues(issues: ValidationIssue[]): string {
  return issues.map((issue) => `${issue.loc.slice(1).join('.') || 'body'}: ${issue.msg}`).join('; ');
}

/** The 422 the reference's FastAPI services give for an invalid body: `detail` is a list of issues. */
export function validationFailed(issues: ValidationIssue[]): AppException {
  return new AppException(422, ErrorCode.VALIDATION_FAILED, describeIssues(issues), {
    detail: issues,
    body: undefined,
  });
}

/** A field the reference checks by hand: 400 with one readable `detail` naming each bad field. */
function badFields(issues: ValidationIssue[]): AppException {
  return new AppException(400, ErrorCode.BAD_REQUEST, describeIssues(issues));
}

const VALIDATOR_OPTIONS = {
  whitelist: true,
  transform: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
} as const;

/** Validates one contract class with its `@BodyRules` (the status a bad field earns, unknown fields). */
class ContractValidationPipe extends ValidationPipe {
  constructor(status: 400 | 422, forbidNonWhitelisted: boolean) {
    super({
      ...VALIDATOR_OPTIONS,
      forbidNonWhitelisted,
      exceptionFactory: (errors: ValidationError[]) => {
        const issues = flattenIssues(errors, ['body']);
        return status === 400 ? badFields(issues) : validationFailed(issues);
      },
    });
  }
}

/**
 * Body validation for typed endpoints (the global pipe of every app): the body must be a JSON
 * object (or absent, where the class's `@BodyRules` say it is optional), then the class-validator
 * rules of its contract class apply. Unknown fields are dropped, not rejected (the reference
 * ignores them too), unless the class says otherwise. Handlers that take `unknown` (hot paths with
 * hand-written readers, relayed bodies) are passed through untouched.
 */
@Injectable()
export class BodyValidationPipe {
  private readonly pipes = new Map<string, ContractValidationPipe>();

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype;
    if (metadata.type !== 'body' || !metatype || metatype === Object || metadata.data) return value;
    const rules = bodyRulesOf(metatype);
    if (value === undefined || value === null || value === '') {
      if (!rules.optional) throw validationFailed([{ loc: ['body'], msg: 'Field required', type: 'missing' }]);
      value = {};
    }
    if (typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) {
      throw validationFailed([{ loc: ['body'], msg: 'Input should be a JSON object', type: 'model_type' }]);
    }
    return this.pipeFor(rules.invalidFieldStatus ?? 422, rules.unknownFields === 'reject').transform(value, metadata);
  }

  private pipeFor(status: 400 | 422, rejectUnknown: boolean): ContractValidationPipe {
    const key = `${status}:${rejectUnknown}`;
    let pipe = this.pipes.get(key);
    if (!pipe) this.pipes.set(key, (pipe = new ContractValidationPipe(status, rejectUnknown)));
    return pipe;
  }
}
