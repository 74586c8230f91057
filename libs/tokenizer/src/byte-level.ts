/**
 * GPT-2 style byte-level BPE stores each byte as a printable unicode character. This is the
 * inverse table (character → byte), built the way the Hugging Face ByteLevel decoder builds it.
 */
function buildUnicodeToByte(): Map<number, number> {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table = new Map<number, number>();
  for (const b of printable) table.set(b, b);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    if (!printable.includes(b)) {
      table.set(256 + shifted, b);
      shifted++;
    }
  }
  return table;
}

const UNICODE_TO_BYTE = buildUnicodeToByte();

/** The raw bytes a byte-level vocabulary entry stands for; `null` if it is not byte-level text. */
export function byteLevelTokenBytes(token: string): Buffer | null {
  const bytes: number[] = [];
  for (const char of token) {
    const byte = UNICODE_TO_BYTE.get(char.codePointAt(0) ?? -1);
    if (byte === undefined) return null;
    bytes.push(byte);
  }
  return Buffer.from(bytes);
}

/** Byte → the printable character a byte-level vocabulary writes it as (the forward table). */
export const BYTE_TO_UNICODE: readonly string[] = (() => {
  const chars = new Array<string>(256);
  for (const [codePoint, byte] of UNICODE_TO_BYTE) chars[byte] = String.fromCodePoint(codePoint);
  return chars;
})();
