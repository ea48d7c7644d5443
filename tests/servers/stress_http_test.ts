import { assertEquals, assertThrows } from "@std/assert";
import { ProtocolError, ResponseParser } from "../../servers/_http_response_parser.ts";
import { encodeRequest, repeatRequest } from "../../servers/_http_request.ts";

/** Feeds `text` to a parser in pieces of `step` bytes; returns the statuses seen. */
function parse(text: string, step: number, head = false): { statuses: number[]; close: boolean } {
  const parser = new ResponseParser(head, 256);
  const bytes = new TextEncoder().encode(text.replaceAll("\n", "\r\n"));
  const statuses: number[] = [];
  for (let at = 0; at < bytes.length && !parser.closeAfter; at += step) {
    let piece = bytes.subarray(at, Math.min(bytes.length, at + step));
    while (piece.length > 0 && !parser.closeAfter) {
      const space = parser.space();
      const n = Math.min(space.length, piece.length);
      space.set(piece.subarray(0, n));
      piece = piece.subarray(n);
      parser.feed(n);
      statuses.push(...parser.statuses);
    }
  }
  if (!parser.closeAfter && parser.end() === 1) statuses.push(...parser.statuses);
  return { statuses, close: parser.closeAfter };
}

const MIXED = "HTTP/1.1 200 OK\nContent-Length: 5\n\nhello" +
  "HTTP/1.1 100 Continue\n\n" +
  "HTTP/1.1 404 Not Found\ntransfer-encoding: chunked\n\n5;ext=1\nhello\n0\nX-Trailer: 1\n\n" +
  "HTTP/1.1 204 No Content\n\n" +
  "HTTP/1.1 503 Busy\nCONTENT-LENGTH: 0\n\n";

Deno.test("ResponseParser.feed() parses lengths, chunks, interim and empty responses", () => {
  for (const step of [1, 2, 3, 7, 64, 10_000]) {
    assertEquals(
      parse(MIXED, step),
      { statuses: [200, 404, 204, 503], close: false },
      `step ${step}`,
    );
  }
});

Deno.test("ResponseParser.feed() stops at Connection: close", () => {
  const text = "HTTP/1.1 200 OK\nConnection: Close\nContent-Length: 2\n\nok" +
    "HTTP/1.1 200 OK\nContent-Length: 2\n\nok";
  assertEquals(parse(text, 5), { statuses: [200], close: true });
  assertEquals(parse("HTTP/1.0 200 OK\nContent-Length: 0\n\n", 4).close, true);
  assertEquals(
    parse("HTTP/1.0 200 OK\nConnection: keep-alive\nContent-Length: 0\n\n", 4).close,
    false,
  );
});

Deno.test("ResponseParser.end() completes a body delimited by the connection's end", () => {
  assertEquals(parse("HTTP/1.1 200 OK\n\nuntil the end", 4), { statuses: [200], close: true });
});

Deno.test("ResponseParser.feed() skips bodies of HEAD responses", () => {
  const text = "HTTP/1.1 200 OK\nContent-Length: 99\n\nHTTP/1.1 200 OK\nContent-Length: 99\n\n";
  assertEquals(parse(text, 9, true).statuses, [200, 200]);
});

Deno.test("ResponseParser.feed() rejects what is not HTTP", () => {
  assertThrows(() => parse("SSH-2.0-OpenSSH_9.2\n\n", 100), ProtocolError);
  assertThrows(() => parse("HTTP/1.1 2x0 OK\n\n", 100), ProtocolError);
  assertThrows(() => parse("HTTP/1.1 200 OK\nContent-Length: x\n\n", 100), ProtocolError);
  assertThrows(
    () => parse("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\nzz\n", 100),
    ProtocolError,
  );
  assertThrows(() => parse(`HTTP/1.1 200 OK\nX: ${"a".repeat(300)}\n\n`, 50), ProtocolError);
});

Deno.test("encodeRequest() writes a keep-alive request with defaults and overrides", () => {
  const body = new TextEncoder().encode("data");
  const bytes = encodeRequest({
    url: new URL("http://example.test:8080/a/b?c=1#frag"),
    method: "PUT",
    headers: [["user-agent", "mine"], ["X-Extra", "1"]],
    body,
  });
  assertEquals(
    new TextDecoder().decode(bytes),
    "PUT /a/b?c=1 HTTP/1.1\r\nHost: example.test:8080\r\nuser-agent: mine\r\nAccept: */*\r\n" +
      "Content-Length: 4\r\nX-Extra: 1\r\n\r\ndata",
  );
  assertEquals(repeatRequest(bytes, 3).length, bytes.length * 3);
});
