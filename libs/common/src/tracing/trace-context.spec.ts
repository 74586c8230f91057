import { describe, expect, it } from '@jest/globals';
import {
  bindRequestTrace,
  currentTrace,
  parseTraceparent,
  runInTrace,
  serverSpan,
  traceLogFields,
  traceOfRequest,
  traceparentOf,
  unbindRequestTrace,
} from './trace-context.js';

describe('W3C trace context', () => {
  const header = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('parses a valid traceparent and refuses malformed or all-zero ones', () => {
    expect(parseTraceparent(header)).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentSpanId: '00f067aa0ba902b7',
      sampled: true,
    });
    expect(parseTraceparent(header.replace(/01$/, '00'))?.sampled).toBe(false);
    for (const bad of [
      undefined,
      '',
      'garbage',
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`,
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E473-00f067aa0ba902b7-01',
    ])
      expect(parseTraceparent(bad)).toBeNull();
  });

  it("a server span continues the caller's trace with a new span id, or starts a trace", () => {
    const child = serverSpan(header);
    expect(child.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(child.parentSpanId).toBe('00f067aa0ba902b7');
    expect(child.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(child.spanId).not.toBe('00f067aa0ba902b7');
    const root = serverSpan(undefined);
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.parentSpanId).toBeNull();
  });

  it("a request's span is found by its request id: calls name it as their parent, log lines carry its ids", () => {
    const span = serverSpan(header);
    expect(traceOfRequest('req-1')).toBeUndefined();
    expect(traceLogFields({ requestId: 'req-1' })).toEqual({});
    bindRequestTrace('req-1', span);
    expect(traceparentOf(traceOfRequest('req-1')!)).toBe(`00-${span.traceId}-${span.spanId}-01`);
    expect(traceLogFields({ requestId: 'req-1', msg: 'x' })).toEqual({ trace_id: span.traceId, span_id: span.spanId });
    // Another request reusing the id does not lose it when the first one ends.
    const other = serverSpan(undefined);
    bindRequestTrace('req-1', other);
    unbindRequestTrace('req-1', span);
    expect(traceOfRequest('req-1')).toBe(other);
    unbindRequestTrace('req-1', other);
    expect(traceOfRequest('req-1')).toBeUndefined();
  });

  it('with AsyncLocalStorage (the controller), everything a handler starts is in its span', async () => {
    const span = serverSpan(header);
    expect(currentTrace()).toBeUndefined();
    await runInTrace(span, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(traceOfRequest(undefined)).toBe(span);
      expect(traceLogFields({})).toEqual({ trace_id: span.traceId, span_id: span.spanId });
    });
  });
});
