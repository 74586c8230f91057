/**
 * What the prompt builder knows, without comparing, about how a turn's prompt begins: its first
 * `length` ids are its parent's recorded prompt ids (a `concat` prompt is built from them; an
 * incremental `hf` prompt begins with the kept chunks the parent's prompt began with). The prompt
 * arena stores a turn's prompt after its parent's: with this it compares only the rest of the
 * parent's ids, not all 15k of them each turn. Keyed by the prompt array itself (nothing else
 * holds an entry alive), and naming the parent interaction itself, not its id: a prompt recorded
 * under another parent, or under a parent replaced since (an interaction recorded again under
 * the same id), is compared in full.
 */
const known = new WeakMap<object, { parent: object; length: number }>();

/** Records that the first `length` ids of `prompt` are those of the recorded interaction `parent`'s prompt. */
export function noteParentPrefix(prompt: ArrayLike<number>, parent: object, length: number): void {
  if (length > 0) known.set(prompt, { parent, length });
}

/** How many of `prompt`'s first ids are known to be `parent`'s prompt ids (0: nothing known). */
export function knownParentPrefix(prompt: ArrayLike<number>, parent: { promptIds: ArrayLike<number> }): number {
  const entry = known.get(prompt);
  if (entry === undefined || entry.parent !== parent) return 0;
  return Math.min(entry.length, parent.promptIds.length, prompt.length);
}
