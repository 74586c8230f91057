import { randomBytes } from 'node:crypto';

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A call as a format parser reads it: the name, the arguments as an object, and the id the model wrote (Kimi). */
export interface ParsedCall {
  name: string;
  arguments: Record<string, unknown>;
  id?: string;
}

/** `call_` + 24 hex characters, like SGLang's ids. */
export function newToolCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}

/** What the parsers know of a request's tools: their names, and their parameter schemas (for formats that write arguments as text). */
export class ToolSet {
  private readonly byName = new Map<string, Record<string, unknown>>();

  constructor(tools: readonly Record<string, unknown>[]) {
    for (const tool of tools) {
      const fn = tool.function as { name?: unknown; parameters?: unknown } | undefined;
      if (!fn || typeof fn.name !== 'string') continue;
      const parameters = fn.parameters;
      const properties =
        typeof parameters === 'object' && parameters !== null
          ? (parameters as { properties?: unknown }).properties
          : undefined;
      this.byName.set(
        fn.name,
        typeof properties === 'object' && properties !== null ? (properties as Record<string, unknown>) : {},
      );
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The JSON schema of parameter `param` of tool `name`, if declared. */
  parameterSchema(name: string, param: string): Record<string, unknown> | null {
    const schema = this.byName.get(name)?.[param];
    return typeof schema === 'object' && schema !== null ? (schema as Record<string, unknown>) : null;
  }
}

/** One step of a streamed parse: visible content (in order) and the calls completed. */
export interface ParseStep {
  content: string;
  calls: ToolCall[];
}

/** A streaming parse of one answer: `push` the decoded text as it arrives, then `finish` once. */
export interface OutputStream {
  push(text: string): ParseStep;
  finish(): ParseStep;
}

/** The answer as the APIs return and record it: the content (a leading `<think>` block for reasoning) and the calls. */
export interface ParsedOutput {
  content: string;
  toolCalls: ToolCall[];
}

/**
 * How a family writes a tool call, for a grammar that makes the model call a tool (`tool_choice:
 * "required"` or a named function): the text that opens the calls (`trigger`), what wraps all the
 * calls of one answer (`sectionBegin`/`sectionEnd`, empty when there is none), what wraps one call
 * to `name` (`callBegin(name)`/`callEnd`), what separates two calls, and how the arguments are
 * written between them.
 */
export interface ToolCallSyntax {
  trigger: string;
  sectionBegin: string;
  sectionEnd: string;
  callBegin(name: string): string;
  callEnd: string;
  separator: string;
  /**
   * `json`: a JSON object of the arguments; `json-envelope`: the whole call is one JSON object
   * `{"name": ..., "arguments": {...}}` (`callBegin` ends right before the arguments object);
   * `xml-parameters`: `<parameter=k>\nv\n</parameter>` per argument (Qwen3-Coder);
   * `arg-key-value`: `<arg_key>k</arg_key><arg_value>v</arg_value>` per argument (GLM);
   * `python-kwargs`: `k=v` Python literals separated by `, `.
   */
  arguments: 'json' | 'json-envelope' | 'xml-parameters' | 'arg-key-value' | 'python-kwargs';
  /** A call ends the generation (gpt-oss's `<|call|>` is a stop token): one call per turn. */
  oneCallPerTurn?: boolean;
}
