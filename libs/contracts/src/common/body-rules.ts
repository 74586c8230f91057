import 'reflect-metadata';

/**
 * What a server does with a request body of a contract class beyond its field rules. Declared on
 * the class (inherited by subclasses) because it is part of the wire contract: a client reading
 * the class learns whether it may omit the body and which status a bad field earns.
 */
export interface BodyRulesOptions {
  /** An absent or empty body counts as `{}` (control calls whose every field is optional). */
  optional?: boolean;
  /**
   * The status of a field that breaks a rule. 422 with the issue list (FastAPI's, the default),
   * or 400 with one readable `detail` where the reference checks such a field by hand.
   */
  invalidFieldStatus?: 400 | 422;
  /** Fields the class does not declare: dropped (default, as pydantic ignores them) or refused. */
  unknownFields?: 'drop' | 'reject';
}

const BODY_RULES_KEY = 'contracts:body-rules';

export function BodyRules(rules: BodyRulesOptions): ClassDecorator {
  return (target) => Reflect.defineMetadata(BODY_RULES_KEY, rules, target);
}

const NO_RULES: BodyRulesOptions = {};

/** The rules declared on `cls` or the nearest parent class that declares some. */
export function bodyRulesOf(cls: object): BodyRulesOptions {
  return (Reflect.getMetadata(BODY_RULES_KEY, cls) as BodyRulesOptions | undefined) ?? NO_RULES;
}
