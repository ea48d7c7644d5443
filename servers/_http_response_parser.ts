/**
 * An incremental HTTP/1.1 response parser over raw bytes: status line, headers,
 * `Content-Length`, chunked bodies, bodies delimited by the connection's end, and
 * `Connection: close`. Bodies are skipped, never copied.
 *
 * @module
 */

const HEAD = 0;
const BODY = 1;
const CHUNK_SIZE = 2;
const CHUNK_DATA = 3;
const TRAILER = 4;
const BODY_TO_EOF = 5;

const LF = 10;
const CR = 13;

function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
const CONTENT_LENGTH = ascii("content-length:");
const CONNECTION = ascii("connection:");
const TRANSFER_ENCODING = ascii("transfer-encoding:");
const CLOSE = ascii("close");
const CHUNKED = ascii("chunked");

/** A response that breaks HTTP/1.1 framing. */
export class ProtocolError extends Error {
  /**
   * Creates the error.
   *
   * @param message What was wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** Whether `buf[at..]` starts with `lower`, ignoring ASCII case. */
function startsWithLower(buf: Uint8Array, at: number, end: number, lower: Uint8Array): boolean {
  if (end - at < lower.length) return false;
  for (let k = 0; k < lower.length; k++) {
    if ((buf[at + k] | 0x20) !== lower[k]) return false;
  }
  return true;
}

/** Whether `buf[from..to)` contains `lower`, ignoring ASCII case. */
function containsLower(buf: Uint8Array, from: number, to: number, lower: Uint8Array): boolean {
  for (let i = from; i + lower.length <= to; i++) {
    if (startsWithLower(buf, i, to, lower)) return true;
  }
  return false;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * The value of a `Content-Length` header: digits with optional blanks around them, and
 * nothing else (`1 0` or `10x` would frame the body wrongly).
 *
 * @throws {ProtocolError} When the value is not that.
 */
function parseLength(buf: Uint8Array, from: number, to: number): number {
  while (from < to && isSpace(buf[from])) from++;
  while (to > from && isSpace(buf[to - 1])) to--;
  if (from === to || to - from > 15) { // 15 digits stay exact in a double
    throw new ProtocolError("Cannot parse response as its Content-Length is invalid");
  }
  let value = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) {
      throw new ProtocolError("Cannot parse response as its Content-Length is invalid");
    }
    value = value * 10 + d;
  }
  return value;
}

/**
 * Parses the responses of one connection. Read into {@linkcode space}, then call
 * {@linkcode feed} with the number of bytes read; the statuses of the `n` responses it
 * completed are `codes[0..n)` (also as a copy in {@linkcode statuses}).
 */
export class ResponseParser {
  /**
   * Status codes of the responses completed by the last `feed`/`end` call, in its first
   * entries (the count is what that call returned). The array is reused, never shrunk,
   * so that parsing does not allocate.
   */
  readonly codes: number[] = [];
  #count = 0;
  /** True once a response asked to close the connection (nothing more is parsed). */
  closeAfter = false;
  #buf: Uint8Array;
  #start = 0;
  #end = 0;
  #state = HEAD;
  #remaining = 0;
  #status = 0;
  #close = false;
  #noBody: boolean;

  /**
   * Creates a parser.
   *
   * @param headRequests True when the requests are `HEAD` (responses have no body).
   * @param bufferSize The read buffer size; also the largest header block accepted.
   */
  constructor(headRequests: boolean, bufferSize = 64 * 1024) {
    this.#noBody = headRequests;
    this.#buf = new Uint8Array(bufferSize);
  }

  /** A copy of the status codes of the responses completed by the last `feed`/`end` call. */
  get statuses(): number[] {
    return this.codes.slice(0, this.#count);
  }

  /** Forgets all state, for a new connection. */
  reset(): void {
    this.#start = 0;
    this.#end = 0;
    this.#state = HEAD;
    this.closeAfter = false;
  }

  /**
   * The free part of the buffer to read into.
   *
   * @returns A view of the buffer.
   * @throws {ProtocolError} When a header block fills the whole buffer.
   */
  space(): Uint8Array {
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
      return this.#buf;
    } else if (this.#end === this.#buf.length) {
      if (this.#start === 0) {
        throw new ProtocolError("Cannot parse response as its header block is too large");
      }
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    return this.#buf.subarray(this.#end);
  }

  /**
   * Parses `n` bytes just read into {@linkcode space}.
   *
   * @param n The number of bytes read.
   * @returns How many responses completed (their statuses are in `statuses`).
   * @throws {ProtocolError} When the bytes are not an HTTP/1.x response.
   */
  feed(n: number): number {
    this.#end += n;
    this.#count = 0;
    const buf = this.#buf;
    while (!this.closeAfter) {
      switch (this.#state) {
        case HEAD:
          if (!this.#parseHead()) return this.#count;
          break;
        case BODY:
        case CHUNK_DATA: {
          const available = this.#end - this.#start;
          if (available < this.#remaining) {
            this.#remaining -= available;
            this.#start = this.#end;
            return this.#count;
          }
          this.#start += this.#remaining;
          if (this.#state === BODY) this.#complete();
          else this.#state = CHUNK_SIZE;
          break;
        }
        case CHUNK_SIZE: {
          const lf = buf.indexOf(LF, this.#start);
          if (lf < 0 || lf >= this.#end) {
            if (this.#end - this.#start > 1024) {
              throw new ProtocolError("Cannot parse response as a chunk size line is too long");
            }
            return this.#count;
          }
          let size = 0;
          let digits = 0;
          for (let i = this.#start; i < lf; i++) {
            const c = buf[i] | 0x20;
            let d: number;
            if (c >= 48 && c <= 57) d = c - 48;
            else if (c >= 97 && c <= 102) d = c - 87;
            else break;
            size = size * 16 + d;
            digits++;
          }
          if (digits === 0) {
            throw new ProtocolError("Cannot parse response as a chunk size is invalid");
          }
          this.#start = lf + 1;
          if (size === 0) {
            this.#state = TRAILER;
          } else {
            this.#remaining = size + 2;
            this.#state = CHUNK_DATA;
          }
          break;
        }
        case TRAILER: {
          const lf = buf.indexOf(LF, this.#start);
          if (lf < 0 || lf >= this.#end) return this.#count;
          const empty = lf === this.#start || (lf === this.#start + 1 && buf[this.#start] === CR);
          this.#start = lf + 1;
          if (empty) this.#complete();
          break;
        }
        case BODY_TO_EOF:
          this.#start = this.#end;
          return this.#count;
      }
    }
    return this.#count;
  }

  /**
   * Tells the parser the connection ended.
   *
   * @returns 1 when that completed a response delimited by the connection's end, else 0.
   */
  end(): number {
    this.#count = 0;
    if (this.#state === BODY_TO_EOF) {
      this.#complete();
      this.closeAfter = true;
      return 1;
    }
    return 0;
  }

  #complete(): void {
    this.codes[this.#count++] = this.#status;
    this.#state = HEAD;
    if (this.#close) this.closeAfter = true;
  }

  /** Parses a header block; false when it is not complete yet. */
  #parseHead(): boolean {
    const buf = this.#buf;
    const start = this.#start;
    const end = this.#end;
    // "HTTP/1.1 200" and the byte after the code: 13 bytes.
    if (end - start < 13) return false;
    if (
      buf[start] !== 72 || buf[start + 1] !== 84 || buf[start + 2] !== 84 ||
      buf[start + 3] !== 80 || buf[start + 4] !== 47 || buf[start + 8] !== 32
    ) {
      throw new ProtocolError("Cannot parse response as it does not start with 'HTTP/'");
    }
    const s0 = buf[start + 9] - 48;
    const s1 = buf[start + 10] - 48;
    const s2 = buf[start + 11] - 48;
    // The code is exactly 3 digits: "2000" must not pass as 200.
    const after = buf[start + 12];
    if (
      s0 < 1 || s0 > 9 || s1 < 0 || s1 > 9 || s2 < 0 || s2 > 9 ||
      (after !== 32 && after !== CR && after !== LF)
    ) {
      throw new ProtocolError("Cannot parse response as its status code is invalid");
    }
    const status = s0 * 100 + s1 * 10 + s2;
    let close = buf[start + 7] === 48; // HTTP/1.0 closes unless it says keep-alive
    let contentLength = -1;
    let chunked = false;
    let line = buf.indexOf(LF, start);
    if (line < 0 || line >= end) return false;
    line++;
    while (true) {
      const lf = buf.indexOf(LF, line);
      if (lf < 0 || lf >= end) return false;
      const lineEnd = lf > line && buf[lf - 1] === CR ? lf - 1 : lf;
      if (lineEnd === line) {
        this.#start = lf + 1;
        break;
      }
      const first = buf[line] | 0x20;
      if (first === 99) { // c
        if (startsWithLower(buf, line, lineEnd, CONTENT_LENGTH)) {
          contentLength = parseLength(buf, line + CONTENT_LENGTH.length, lineEnd);
        } else if (startsWithLower(buf, line, lineEnd, CONNECTION)) {
          const from = line + CONNECTION.length;
          if (containsLower(buf, from, lineEnd, CLOSE)) close = true;
          else if (buf[start + 7] === 48) close = false; // HTTP/1.0 keep-alive
        }
      } else if (first === 116 && startsWithLower(buf, line, lineEnd, TRANSFER_ENCODING)) {
        chunked = containsLower(buf, line + TRANSFER_ENCODING.length, lineEnd, CHUNKED);
      }
      line = lf + 1;
    }
    if (status >= 100 && status < 200 && status !== 101) return true; // interim response
    this.#status = status;
    this.#close = close;
    if (this.#noBody || status === 204 || status === 304) {
      this.#complete();
    } else if (chunked) {
      this.#state = CHUNK_SIZE;
    } else if (contentLength >= 0) {
      if (contentLength === 0) this.#complete();
      else {
        this.#remaining = contentLength;
        this.#state = BODY;
      }
    } else {
      this.#state = BODY_TO_EOF;
      this.#close = true;
    }
    return true;
  }
}
