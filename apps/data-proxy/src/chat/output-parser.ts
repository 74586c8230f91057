import type { HistoryAdapter } from '../tokenization/chat-template.js';
import { HarmonyOutputStream, HARMONY_TOOL_CALL_SYNTAX, harmonyHistory } from './parsers/harmony-parser.js';
import type { OutputStream, ParsedOutput, ParseStep, ToolCallSyntax, ToolSet } from './parsers/parser-types.js';
import type { ReasoningParser, ReasoningStream } from './parsers/reasoning-parsers.js';
import type { ToolCallParser, ToolCallStream } from './parsers/tool-call-parsers.js';

export { newToolCallId, ToolSet, type ToolCall, type ParsedOutput } from './parsers/parser-types.js';
export { pythonJsonDumps } from './parsers/json-values.js';

/**
 * How the served model's answers are read, chosen once at startup from `--reasoning-parser` and
 * `--tool-call-parser`: the reasoning split (recorded as a leading `<think>` block) and the
 * tool-call format, streaming and not (the whole-text parse is the stream fed at once, so both
 * give the same result). gpt-oss answers are harmony messages, read by one parser for both.
 */
export class OutputParser {
  private constructor(
    private readonly reasoning: ReasoningParser | null,
    private readonly tools: ToolCallParser | null,
    private readonly harmony: { reasoning: boolean; tools: boolean } | null,
  ) {}

  static of(reasoning: ReasoningParser | null, tools: ToolCallParser | null): OutputParser {
    return new OutputParser(reasoning, tools, null);
  }

  /** gpt-oss: harmony channels (`reasoning`: analysis → reasoning; `tools`: calls to functions.*). */
  static harmony(reasoning: boolean, tools: boolean): OutputParser {
    return new OutputParser(null, null, { reasoning, tools });
  }

  /** Whether tool calls are parsed at all (`--tool-call-parser none` says no). */
  get parsesToolCalls(): boolean {
    return this.harmony ? this.harmony.tools : this.tools !== null;
  }

  /** The tool-call format, for a grammar that makes the model call a tool; null without one. */
  get toolCallSyntax(): ToolCallSyntax | null {
    if (this.harmony) return this.harmony.tools ? HARMONY_TOOL_CALL_SYNTAX : null;
    return this.tools?.syntax ?? null;
  }

  /** What the template needs to read recorded answers back as history (null: the content as recorded). */
  get historyAdapter(): HistoryAdapter | null {
    if (this.harmony) return this.harmony.reasoning ? harmonyHistory : null;
    return this.reasoning?.adaptHistory ?? null;
  }

  /** The markers around the reasoning block, when the format has them (what may precede a forced tool call). */
  get reasoningMarkers(): { start: string; end: string } | null {
    const start = this.reasoning?.startMarker;
    const end = this.reasoning?.endMarker;
    return start && end ? { start, end } : null;
  }

  /** The reasoning start marker, when the format has one: a prompt ending with it opened the block. */
  get reasoningStart(): string | null {
    return this.reasoning?.startMarker ?? null;
  }

  /**
   * A streaming parse of one answer; `tools` null when the request's tool calls are not parsed;
   * `opened` when the prompt ended inside the reasoning block. Null when the answer's text is its
   * content as it is (no reasoning to rewrite, no tools).
   */
  stream(tools: ToolSet | null, opened = false): OutputStream | null {
    const toolSet = this.parsesToolCalls ? tools : null;
    if (this.harmony) return new HarmonyOutputStream(toolSet, this.harmony.reasoning);
    const rewrites = this.reasoning && (opened || !this.reasoning.identity || toolSet);
    const reasoning = rewrites ? this.reasoning.stream(opened) : null;
    const calls = toolSet && this.tools ? this.tools.stream(toolSet) : null;
    if (!reasoning && !calls) return null;
    return new ComposedOutputStream(reasoning, calls);
  }

  /** The whole answer at once. */
  parse(text: string, tools: ToolSet | null, opened = false): ParsedOutput {
    const stream = this.stream(tools, opened);
    if (!stream) return { content: text, toolCalls: [] };
    const first = stream.push(text);
    const last = stream.finish();
    return { content: first.content + last.content, toolCalls: [...first.calls, ...last.calls] };
  }
}

/** The reasoning split, then tool calls read from what follows the reasoning block. */
class ComposedOutputStream implements OutputStream {
  constructor(
    private readonly reasoning: ReasoningStream | null,
    private readonly calls: ToolCallStream | null,
  ) {}

  push(text: string): ParseStep {
    if (!this.reasoning) return this.calls!.push(text);
    const split = this.reasoning.push(text);
    return this.after(split.reasoning, split.rest, false);
  }

  finish(): ParseStep {
    const split = this.reasoning ? this.reasoning.finish() : { reasoning: '', rest: '' };
    return this.after(split.reasoning, split.rest, true);
  }

  private after(reasoning: string, rest: string, final: boolean): ParseStep {
    if (!this.calls) return { content: reasoning + rest, calls: [] };
    const step = rest.length > 0 ? this.calls.push(rest) : { content: '', calls: [] };
    if (final) {
      const last = this.calls.finish();
      step.content += last.content;
      step.calls.push(...last.calls);
    }
    return { content: reasoning + step.content, calls: step.calls };
  }
}
