// Task module for the mapReduce tests.

/** Sum of a chunk of numbers. */
export function sum(chunk: number[]): number {
  return chunk.reduce((a, b) => a + b, 0);
}

/** Throws for a chunk whose first number is 13. */
export function failOn13(chunk: number[]): number {
  if (chunk[0] === 13) throw new RangeError(`Cannot sum as the chunk starts with 13`);
  return sum(chunk);
}

/** Resolves with the chunk's sum after `chunk[0]` milliseconds. */
export async function slowSum(chunk: number[]): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, chunk[0]));
  return sum(chunk);
}

/** Byte length of a transferred chunk. */
export function byteLength(chunk: Uint8Array): number {
  return chunk.length;
}
