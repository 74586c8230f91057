/**
 * The prompt tokens of one trajectory's interactions, stored once where turns share them.
 *
 * A turn's prompt nearly always begins with its parent's whole prompt (the conversation so far,
 * then the parent's answer and the new messages). Kept as separate arrays, a 128-turn episode of
 * 15k tokens holds every earlier prompt again: about 128 × 7.5k ids. Here the prompts are views of
 * one growing buffer: a prompt that begins with its parent's, where the parent's is the last thing
 * stored, stores only what follows it, and both are views over the same ids. Any other prompt (a
 * branch, an edited history, a re-tokenised answer that diverges) is stored whole after the
 * others. Views are ordinary `Int32Array`s holding the same values the interaction recorded.
 */
export class PromptArena {
  private data = new Int32Array(0);
  private used = 0;
  /** The ids the last `store` copied into a new buffer: where they were (element indexes). */
  private moved: { buffer: ArrayBufferLike; from: number; to: number } | null = null;

  /**
   * After a `store` that grew the buffer: whether earlier views may need `relocate` (the caller
   * then relocates every view it holds, and the previous buffer is freed once none is left on it).
   */
  get grew(): boolean {
    return this.moved !== null;
  }

  /** The same ids in the current buffer when the last growth copied them there; otherwise `view` itself. */
  relocate(view: Int32Array): Int32Array {
    const moved = this.moved;
    if (!moved || view.buffer !== moved.buffer) return view;
    const from = view.byteOffset / Int32Array.BYTES_PER_ELEMENT;
    if (from < moved.from || from + view.length > moved.to) return view;
    return this.data.subarray(from - moved.from, from - moved.from + view.length);
  }

  /**
   * Stores `prompt` (continuing `parent`'s prompt when it can) and returns the view that holds it.
   * `knownEqual`: how many of `prompt`'s first ids its builder knows to be `parent`'s
   * (prompt-provenance.ts); only the parent's ids after those are compared.
   */
  store(prompt: ArrayLike<number>, parent: Int32Array | null, knownEqual = 0): Int32Array {
    let start = this.used;
    if (parent !== null && this.continues(prompt, parent, knownEqual))
      start = parent.byteOffset / Int32Array.BYTES_PER_ELEMENT;
    const kept = this.used - start;
    const needed = prompt.length - kept;
    this.moved = null;
    if (this.used + needed > this.data.length) {
      // A new buffer holds the prompt being continued and room to grow. Views of the ids it copied
      // can move to it (`relocate`), so that the old buffer is freed.
      const grown = new Int32Array(Math.max(1024, Math.ceil(1.5 * (kept + needed))));
      grown.set(this.data.subarray(start, this.used));
      if (kept > 0) this.moved = { buffer: this.data.buffer, from: start, to: this.used };
      this.data = grown;
      this.used = kept;
      start = 0;
    }
    for (let i = kept; i < prompt.length; i++) this.data[start + i] = prompt[i];
    this.used = start + prompt.length;
    return this.data.subarray(start, this.used);
  }

  /**
   * Moves the stored ids to a buffer of their exact size when the current one has room to spare;
   * returns whether it did (the caller then relocates its views, as after a growth).
   */
  trim(): boolean {
    this.moved = null;
    if (this.used === this.data.length) return false;
    const exact = this.data.slice(0, this.used);
    this.moved = { buffer: this.data.buffer, from: 0, to: this.used };
    this.data = exact;
    return true;
  }

  /** Bytes of the buffer new prompts are stored in (earlier buffers live while their views do). */
  get bytes(): number {
    return this.data.byteLength;
  }

  /**
   * Whether `parent` is a view of the current buffer ending where the stored ids end, and `prompt`
   * begins with it (its first `knownEqual` ids are, as the caller knows).
   */
  private continues(prompt: ArrayLike<number>, parent: Int32Array, knownEqual: number): boolean {
    if (parent.buffer !== this.data.buffer || parent.length === 0 || prompt.length < parent.length) return false;
    if (parent.byteOffset / Int32Array.BYTES_PER_ELEMENT + parent.length !== this.used) return false;
    for (let i = knownEqual; i < parent.length; i++) if (prompt[i] !== parent[i]) return false;
    return true;
  }
}
