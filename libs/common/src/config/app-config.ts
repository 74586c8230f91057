import type { CommonOptions } from './common-options.js';

/** DI token of the app's parsed options (`ParsedOptions<typeof MY_APP_OPTIONS>`). */
export const APP_OPTIONS = Symbol('APP_OPTIONS');

/** DI token of the {@link AppIdentity}. */
export const APP_IDENTITY = Symbol('APP_IDENTITY');

export interface AppIdentity {
  /** Short service name: `router`, `gateway`, ... Used in logs and metrics. */
  name: string;
  version: string;
}

/** What `libs/common` itself reads from an app's options (`control-allow-from` where the app has control endpoints). */
export type BaseAppOptions = CommonOptions & { readonly 'control-allow-from'?: readonly string[] };
