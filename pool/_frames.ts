/**
 * Private: length-prefixed frames of `node:v8` structured-clone data over a
 * byte stream (a `ProcessPool` worker's stdin and stdout).
 *
 * @module
 */

import { deserialize, serialize } from "node:v8";

/** Encodes one message as a frame: a 4-byte little-endian length, then the data. */
export function encodeFrame(message: unknown): Uint8Array {
  const body = serialize(message);
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, body.length, true);
  frame.set(body, 4);
  return frame;
}

/** Splits a byte stream into decoded messages. */
export class FrameDecoder {
  #buffer: Uint8Array = new Uint8Array(0);
  #length = 0;

  /** Adds bytes; returns the messages completed by them. */
  push(chunk: Uint8Array): unknown[] {
    if (this.#length === 0) {
      this.#buffer = chunk;
      this.#length = chunk.length;
    } else {
      if (this.#buffer.length < this.#length + chunk.length) {
        const grown = new Uint8Array(
          Math.max(this.#buffer.length * 2, this.#length + chunk.length),
        );
        grown.set(this.#buffer.subarray(0, this.#length));
        this.#buffer = grown;
      }
      this.#buffer.set(chunk, this.#length);
      this.#length += chunk.length;
    }
    const out: unknown[] = [];
    let offset = 0;
    const view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset, this.#length);
    while (this.#length - offset >= 4) {
      const size = view.getUint32(offset, true);
      if (this.#length - offset - 4 < size) break;
      out.push(deserialize(this.#buffer.subarray(offset + 4, offset + 4 + size)));
      offset += 4 + size;
    }
    if (offset === this.#length) {
      this.#length = 0;
      this.#buffer = new Uint8Array(0);
    } else if (offset > 0) {
      const rest = this.#buffer.slice(offset, this.#length);
      this.#buffer = rest;
      this.#length = rest.length;
    }
    return out;
  }
}
