/**
 * Private: byte-level whitespace classification matching Python's `str.isspace()`, the
 * separator set of `str.split()` with no arguments.
 *
 * Python splits on 29 code points: `\t \n \v \f \r`, `\x1c`–`\x1f`, space, U+0085,
 * U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F and U+3000. The
 * ASCII ones are single bytes; the others are 2- or 3-byte UTF-8 sequences whose lead
 * byte is 0xC2, 0xE1, 0xE2 or 0xE3. Matching those exact sequences at any position
 * agrees with decoding the bytes as UTF-8 (invalid sequences replaced by U+FFFD) and
 * then splitting, because a lead byte always restarts the decoder and U+FFFD is not
 * whitespace.
 *
 * @module
 */

/** A byte that is part of a word. */
export const WORD = 0;
/** A single-byte (ASCII) whitespace character. */
export const SPACE = 1;
/** The lead byte of a sequence that may be multi-byte whitespace. */
export const MAYBE_SPACE = 2;

/** Class of each byte value: {@linkcode WORD}, {@linkcode SPACE} or {@linkcode MAYBE_SPACE}. */
export const BYTE_CLASS: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (const b of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20]) table[b] = SPACE;
  for (const b of [0xc2, 0xe1, 0xe2, 0xe3]) table[b] = MAYBE_SPACE;
  return table;
})();

/**
 * Length of the multi-byte whitespace sequence that starts at `i`, or 0 when the bytes
 * there are not one (or the sequence would run past `end`).
 */
export function multiByteSpaceLength(bytes: Uint8Array, i: number, end: number): number {
  const b = bytes[i];
  if (b === 0xc2) {
    if (i + 1 >= end) return 0;
    const c = bytes[i + 1];
    return c === 0x85 || c === 0xa0 ? 2 : 0;
  }
  if (i + 2 >= end) return 0;
  const c = bytes[i + 1];
  const d = bytes[i + 2];
  switch (b) {
    case 0xe1: // U+1680
      return c === 0x9a && d === 0x80 ? 3 : 0;
    case 0xe2:
      if (c === 0x80) {
        // U+2000–U+200A, U+2028, U+2029, U+202F
        return (d >= 0x80 && d <= 0x8a) || d === 0xa8 || d === 0xa9 || d === 0xaf ? 3 : 0;
      }
      return c === 0x81 && d === 0x9f ? 3 : 0; // U+205F
    case 0xe3: // U+3000
      return c === 0x80 && d === 0x80 ? 3 : 0;
    default:
      return 0;
  }
}

/**
 * The last position in `bytes[0, end)` that directly follows a whitespace character,
 * or 0 when there is none. Cutting there never splits a word or a UTF-8 sequence.
 */
export function lastBoundary(bytes: Uint8Array, end: number): number {
  for (let i = end - 1; i >= 0; i--) {
    if (BYTE_CLASS[bytes[i]] === SPACE) return i + 1;
  }
  // No ASCII whitespace: look for the last multi-byte one (text such as CJK with U+3000).
  let last = 0;
  for (let i = 0; i < end; i++) {
    if (BYTE_CLASS[bytes[i]] === MAYBE_SPACE) {
      const n = multiByteSpaceLength(bytes, i, end);
      if (n > 0) {
        i += n - 1;
        last = i + 1;
      }
    }
  }
  return last;
}
