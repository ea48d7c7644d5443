/**
 * Private: length-prefixed frames of `node:v8` structured-clone data over a
 * byte stream (a `ProcessPool` worker's stdin and stdout).
 *
 * @module
 */

import { deserialize, serialize } from "node:v8";

/** The first 4 bytes of every frame, to notice bytes that are not ours. */
const MAGIC = 0x544e4446; // "FDNT" little-endian
const HEADER = 8;

/**
 * Encodes one message as a frame: a 4-byte magic number, a 4-byte little-endian
 * length, then the `node:v8` serialized data.
 */
export function encodeFrame(message: unknown): Uint8Array {
  const body = serialize(message);
  const frame = new Uint8Array(HEADER + body.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, body.length, true);
  frame.set(body, HEADER);
  return frame;
}

/** Bytes that are not a frame; `messages` were decoded before them. */
export class FrameError extends TypeError {
  readonly messages: unknown[];
  constructor(messages: unknown[]) {
    super("Cannot decode the stream as it holds bytes that are not a frame");
    this.name = "FrameError";
    this.messages = messages;
  }
}

/** Splits a byte stream into decoded messages. */
export class FrameDecoder {
  #buffer: Uint8Array = new Uint8Array(0);
  #length = 0;

  /**
   * Adds bytes; returns the messages completed by them.
   *
   * @throws {FrameError} When the stream holds something that is not a frame; its
   * `messages` are those decoded before it.
   */
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
    while (this.#length - offset >= HEADER) {
      if (view.getUint32(offset, true) !== MAGIC) {
        throw new FrameError(out);
      }
      const size = view.getUint32(offset + 4, true);
      if (this.#length - offset - HEADER < size) break;
      out.push(deserialize(this.#buffer.subarray(offset + HEADER, offset + HEADER + size)));
      offset += HEADER + size;
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
