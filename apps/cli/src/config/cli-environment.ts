/** The environment the `rollout` CLI reads, typed: an empty value counts as unset. */
export interface CliEnvironment {
  /** The state directory (`--state-dir` wins). */
  home?: string;
  /** The admin key (`--admin-key` wins). */
  adminKey?: string;
}

export function readCliEnvironment(env: NodeJS.ProcessEnv = process.env): CliEnvironment {
  return { home: env.ROLLOUT_HOME || undefined, adminKey: env.ROLLOUT_ADMIN_KEY || undefined };
}
