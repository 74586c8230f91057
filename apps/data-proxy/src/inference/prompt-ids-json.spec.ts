import { describe, expect, it } from '@jest/globals';
import {
  appendIdsJson,
  carryPrompt,
  engineRequestJson,
  idsJson,
  idsJsonBytes,
  idsJsonText,
  notePromptIdsJson,
  takeCarriedPrompt,
  withIdsAfter,
  type EngineRequestFields,
  type IdsJson,
} from './prompt-ids-json.js';

/** An engine request in SGLang's shape: the prompt's field, and the fields after it. */
function sglangRequest(rest: object = { sampling_params: { max_new_tokens: 4 }, stop: ['é'] }): EngineRequestFields {
  return { promptField: 'input_ids', rest };
}

/** `ids` registered with `json` as their JSON; an engine request (SGLang's shape) that sends them. */
function registered(ids: number[], json: IdsJson): EngineRequestFields {
  notePromptIdsJson(ids, json);
  return sglangRequest();
}

/** The JSON that `request` for `ids` means: the prompt's field first, then the rest, as `JSON.stringify` writes them. */
const expectedJson = (request: EngineRequestFields, ids: ArrayLike<number>): string =>
  JSON.stringify({ [request.promptField]: Array.from(ids), ...request.rest });

/** The request's JSON as text. */
const text = (json: string | Buffer): string => json.toString();

/** The memory a request's JSON (bytes) is written in. */
const memoryOf = (json: string | Buffer): ArrayBufferLike => (json as Buffer).buffer;

describe('engineRequestJson', () => {
  it('writes registered prompt ids from their text, and the body means the same as JSON.stringify', () => {
    const ids = [1, 22, 333];
    notePromptIdsJson(ids, appendIdsJson(idsJson([1]), [22, 333]));
    const body = sglangRequest({ rid: 'r', sampling_params: { max_new_tokens: 4 }, stop: ['é'], stream: false });
    const request = engineRequestJson(body, ids);
    expect(text(request.json).startsWith('{"input_ids":[1,22,333],')).toBe(true);
    expect(JSON.parse(text(request.json))).toEqual({ input_ids: ids, ...body.rest });
    expect(text(request.json)).toBe(expectedJson(body, ids));
    request.release();
  });

  it('serializes as usual an array nobody registered, or one that changed since', () => {
    const ids = [5, 6];
    const body = { promptField: 'prompt', rest: { max_tokens: 3 } };
    expect(engineRequestJson(body, ids).json).toBe('{"prompt":[5,6],"max_tokens":3}');
    notePromptIdsJson(ids, idsJson(ids));
    ids.push(7);
    expect(engineRequestJson(body, ids).json).toBe('{"prompt":[5,6,7],"max_tokens":3}');
    // A typed prompt nobody registered: the JSON list it is on the wire, not an object of indexes.
    expect(engineRequestJson(body, Int32Array.from([8, -1])).json).toBe('{"prompt":[8,-1],"max_tokens":3}');
  });

  it('a body whose only field is the prompt', () => {
    const ids = [9];
    notePromptIdsJson(ids, idsJson(ids));
    expect(text(engineRequestJson({ promptField: 'prompt', rest: {} }, ids).json)).toBe('{"prompt":[9]}');
    expect(engineRequestJson({ promptField: 'prompt', rest: {} }, [10, 11]).json).toBe('{"prompt":[10,11]}');
  });

  it('a field name too long for the room before the ids: the request is copied, and right', () => {
    const ids = [3, 4];
    notePromptIdsJson(ids, idsJson(ids));
    const body = { promptField: 'k'.repeat(80), rest: { n: 1 } };
    const request = engineRequestJson(body, ids);
    expect(text(request.json)).toBe(expectedJson(body, ids));
    // Copied, so nothing is held: the same prompt is written in place by the next request.
    const inPlace = engineRequestJson({ promptField: 'prompt', rest: {} }, ids);
    expect(memoryOf(inPlace.json)).not.toBe(memoryOf(request.json));
    expect(text(inPlace.json)).toBe('{"prompt":[3,4]}');
    inPlace.release();
  });

  it('carries a prompt (its length and JSON) to the interaction that holds it, for the one turn that continues it', () => {
    const ids = [4, 5, 6];
    const interactionId = 'chatcmpl-carried';
    carryPrompt(ids, interactionId);
    // Nothing registered for those ids: nothing carried.
    expect(takeCarriedPrompt(interactionId, 3)).toBeUndefined();
    notePromptIdsJson(ids, idsJson(ids));
    carryPrompt(ids, interactionId);
    // The wrong length (another prompt) gets nothing; taking forgets it either way.
    expect(takeCarriedPrompt(interactionId, 2)).toBeUndefined();
    carryPrompt(ids, interactionId);
    const taken = takeCarriedPrompt(interactionId, 3)!;
    expect(taken.length).toBe(3);
    expect(idsJsonText(taken.json)).toBe('4,5,6');
    expect(takeCarriedPrompt(interactionId, 3)).toBeUndefined();
  });
});

describe('ids JSON runs', () => {
  it('appends new ids to kept JSON, as joining them all would', () => {
    expect(idsJsonText(appendIdsJson(idsJson([1, 2]), [30, 4]))).toBe('1,2,30,4');
    expect(idsJsonText(appendIdsJson(idsJson([]), [7]))).toBe('7');
    const kept = idsJson(Int32Array.from([5]));
    expect(appendIdsJson(kept, [])).toBe(kept);
    expect(withIdsAfter(kept, [])).toBe(kept);
    expect(idsJsonText(withIdsAfter(idsJson([]), [8, 9]))).toBe('8,9');
  });

  it("grows a conversation's run in place, turn after turn, and writes each turn's request around it", () => {
    const all = [3];
    let json = idsJson(all);
    const run = json.run;
    const bodies = new Set<ArrayBufferLike>();
    for (let turn = 1; turn <= 200; turn++) {
      const added = [turn, 1000 + turn];
      all.push(...added);
      json = appendIdsJson(json, added);
      expect(json.run).toBe(run);
      expect(idsJsonBytes(json)).toBe(all.join(',').length);
      const prompt = all.slice();
      const body = registered(prompt, json);
      const request = engineRequestJson(body, prompt);
      expect(text(request.json)).toBe(expectedJson(body, prompt));
      bodies.add(memoryOf(request.json));
      request.release();
    }
    expect(idsJsonText(json)).toBe(all.join(','));
    // Written around the run's own bytes, whose buffer doubles when full: a handful of buffers for 200 turns.
    expect(bodies.size).toBeGreaterThan(1);
    expect(bodies.size).toBeLessThanOrEqual(6);
  });

  it('while a request holds the end of a run, another request and an append are copies, and its bytes do not change', () => {
    const json = idsJson([1, 2, 3]);
    const prompt = [1, 2, 3];
    const body = registered(prompt, json);
    const first = engineRequestJson(body, prompt);
    const sent = text(first.json);
    // The same prompt again (a client that retries): copied, not written over the first one's tail.
    const retried = sglangRequest({ sampling_params: { max_new_tokens: 99 } });
    const again = engineRequestJson(retried, prompt);
    expect(memoryOf(again.json)).not.toBe(memoryOf(first.json));
    expect(text(again.json)).toBe(expectedJson(retried, prompt));
    // The conversation goes on while the request is in flight: a run of its own.
    const next = appendIdsJson(json, [4, 5]);
    expect(next.run).not.toBe(json.run);
    expect(idsJsonText(next)).toBe('1,2,3,4,5');
    expect(text(first.json)).toBe(sent);
    // Released twice, or by a request that held nothing: the next holder keeps its bytes.
    again.release();
    first.release();
    const third = engineRequestJson(body, prompt);
    expect(memoryOf(third.json)).toBe(memoryOf(first.json));
    first.release();
    expect(appendIdsJson(json, [6]).run).not.toBe(json.run);
    third.release();
    // Released: the run grows in place again, over where the requests' tails were.
    const grown = appendIdsJson(json, [7]);
    expect(grown.run).toBe(json.run);
    expect(idsJsonText(grown)).toBe('1,2,3,7');
    expect(idsJsonText(json)).toBe('1,2,3');
  });

  it('a fork from an earlier turn gets a run of its own, and the conversation it left keeps its text', () => {
    const first = idsJson([1]);
    const second = appendIdsJson(first, [2]);
    const fork = appendIdsJson(first, [9, 9]);
    expect(fork.run).not.toBe(first.run);
    expect(idsJsonText(fork)).toBe('1,9,9');
    const third = appendIdsJson(second, [3]);
    expect(third.run).toBe(first.run);
    expect(idsJsonText(third)).toBe('1,2,3');
    expect(idsJsonText(fork)).toBe('1,9,9');
  });

  it("a prompt's own last ids (withIdsAfter) go into its request, not into the run its continuations grow", () => {
    const kept = appendIdsJson(idsJson([1, 2]), [3]);
    const promptIds = [1, 2, 3, 77, 78];
    const prompt = withIdsAfter(kept, [77, 78]);
    expect(prompt.run).toBe(kept.run);
    expect(idsJsonText(prompt)).toBe('1,2,3,77,78');
    const body = registered(promptIds, prompt);
    const request = engineRequestJson(body, promptIds);
    expect(text(request.json)).toBe(expectedJson(body, promptIds));
    // In flight: the kept prefix's next turn copies; settled: it grows in place over the request.
    expect(appendIdsJson(kept, [4]).run).not.toBe(kept.run);
    request.release();
    const next = appendIdsJson(kept, [4]);
    expect(next.run).toBe(kept.run);
    expect(idsJsonText(next)).toBe('1,2,3,4');
    // A prompt with ids after its run's text is not where the run can grow: appending to it copies.
    const after = appendIdsJson(withIdsAfter(next, [5]), [6]);
    expect(after.run).not.toBe(next.run);
    expect(idsJsonText(after)).toBe('1,2,3,4,5,6');
  });

  it("a run that moves to a bigger buffer keeps every earlier turn's text", () => {
    const first = idsJson([1]);
    let grown = first;
    for (let i = 0; i < 5000; i++) grown = appendIdsJson(grown, [i]);
    expect(grown.run).toBe(first.run);
    expect(idsJsonText(first)).toBe('1');
    expect(idsJsonText(grown)).toBe(['1', ...Array.from({ length: 5000 }, (_, i) => i)].join(','));
  });
});
