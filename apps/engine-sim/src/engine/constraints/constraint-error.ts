/**
 * A constraint the engine cannot compile (invalid JSON schema, regex or grammar, or one engine-sim
 * does not support): the request is refused as the real engine refuses an invalid grammar.
 */
export class ConstraintError extends Error {}
