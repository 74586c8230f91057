import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { bodyRulesOf } from '@app/contracts';
import { AppException, ValidationIssue } from './app.exception.js';
import { ErrorCode } from './error-codes.js';

/**
 * One issue per field, as pydantic reports: a missing field is `Field required` (type `missing`),
 * otherwise the first rule it breaks in declaration order (class-validator records decorators
 * bottom-up, so its list is reversed). Values are never echoed (they may be keys).
 */
/**
 * The rules that say what type a field has. A value of the wrong type also breaks the field's other
 * rules (a length, a range), and the type is what its caller must hear: "must be a string", not
 * "must be shorter than 1024 characters" for a number.
 */
const TYPE_RULES = new Set(['isString', 'isNumber', 'isInt', 'isBoolean', 'isArray', 'isObject']);

/**
 * The one broken rule a field's issue reports: its type rule when that is broken, else the rule
 * declared first above the property (decorators apply bottom-up, so that one registers last). Not
 * the order alone: a stack built with `applyDecorators` registers its rules in list order.
 */
function reportedRule(broken: [string, string][]): [string, string] {
  return broken.find(([rule]) => TYPE_RULES.has(rule)) ?? broken[broken.length - 1];
}

function flattenIssues(errors: ValidationError[], path: (string | number)[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const error of errors) {
    const loc = [...path, error.property];
    const broken = Object.entries(error.constraints ?? {});
    if (broken.length > 0) {
      if (error.value === undefined && broken[0][0] !== 'whitelistValidation') {
        issues.push({ loc, msg: 'Field required', type: 'missing' });
      } else {
        const [type, msg] = reportedRule(broken);
        issues.push({ loc, msg, type });
      }
    }
    if (error.children?.length) issues.push(...flattenIssues(error.children, loc));
  }
  return issues;
}

function describeIssues(issues: ValidationIssue[]): string {
  return issues
    .map((issue) => {
      const field = issue.loc.slice(1).join('.') || 'body';
      if (issue.type === 'missing') return `${field} is required`;
      // class-validator's messages already start with the field's name ("count must be …").
      return issue.msg.startsWith(`${field} `) ? issue.msg : `${field}: ${issue.msg}`;
    })
    .join('; ');
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
  // The value is read to tell a missing field from a wrong one, then dropped (flattenIssues).
  validationError: { target: false, value: true },
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
function parseJsonBytes(bytes: Buffer, optional: boolean): unknown {
  if (bytes.length === 0) {
    if (optional) return {};
    throw validationFailed([{ loc: ['body'], msg: 'Field required', type: 'missing' }]);
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new AppException(400, ErrorCode.MALFORMED_JSON, 'Invalid JSON body');
  }
}

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
    // Services that keep request bodies as raw bytes (the gateway forwards them untouched) parse
    // them here for the endpoints that act on a contract class.
    if (Buffer.isBuffer(value)) value = parseJsonBytes(value, rules.optional === true);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
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
