/**
 * The exact auth failure messages of a service (they differ between the reference's gateway and
 * router, and clients match on them). Provide under {@link AUTH_MESSAGES}.
 */
export interface AuthMessages {
  /** 401 on admin routes: header missing or not `Bearer <token>`. */
  malformed: string;
  /** 403: a well-formed token that is not the admin key. */
  notAdmin: string;
}

export const AUTH_MESSAGES = Symbol('AUTH_MESSAGES');

export const DEFAULT_AUTH_MESSAGES: AuthMessages = {
  malformed: 'Missing or malformed Authorization header.',
  notAdmin: 'Invalid admin API key.',
};

/** 401 where a session key (or the admin key) is required: the reference's text on every service. */
export const MISSING_BEARER = "Missing or malformed Authorization header. Expected 'Bearer <token>'.";

/** 401 where the Anthropic form is accepted too. */
export const MISSING_CALLER_KEY = "Missing API key: send 'x-api-key: <key>' or 'Authorization: Bearer <key>'.";
