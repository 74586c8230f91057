/**
 * Which message lists begin with the very elements (`===`) of an earlier list: a conversation's
 * next request, as `ConversationBodies` parses it (the kept messages of the caller's previous body,
 * then the new ones), and its normal form (`normalizeChatMessages`, which continues the previous
 * body's normal form the same way). With that known, the steps of a turn that look at every
 * message (normalising, matching the parent) look at the new ones only: a late turn of a long
 * episode does not walk its 256 earlier messages, each a hash lookup on memory the turns between
 * have pushed out of the cache.
 *
 * Keyed by the list itself (an entry lives as long as the list). Message lists are never changed
 * once parsed; the lengths are checked anyway, so a list that was cut short is not trusted.
 */
const continued = new WeakMap<readonly unknown[], ContinuedList>();

export interface ContinuedList {
  /** The earlier list. */
  readonly of: readonly unknown[];
  /** How many first elements the two lists share, the same values. */
  readonly length: number;
}

/** Records that the first `length` elements of `list` are those of `of`, the same values. */
export function noteContinuedList(list: readonly unknown[], of: readonly unknown[], length: number): void {
  if (length > 0 && length <= list.length && length <= of.length) continued.set(list, { of, length });
}

/** The list `list` was noted to continue, and how far (undefined: nothing known). */
export function continuedListOf(list: readonly unknown[]): ContinuedList | undefined {
  const entry = continued.get(list);
  return entry !== undefined && entry.length <= list.length && entry.length <= entry.of.length ? entry : undefined;
}
