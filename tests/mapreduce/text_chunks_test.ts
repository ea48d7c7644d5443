import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { textChunks } from "../../mapreduce/text_chunks.ts";
import { concat, corpus } from "./_reference.ts";

const WHITESPACE_AT_END =
  // deno-lint-ignore no-control-regex
  /[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;

async function collect(
  source: Parameters<typeof textChunks>[0],
  chunkBytes: number,
): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of textChunks(source, { chunkBytes })) chunks.push(chunk);
  return chunks;
}

/** Every chunk but the last decodes cleanly and ends with Python whitespace. */
function assertCleanCuts(chunks: Uint8Array[]): void {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  chunks.forEach((chunk, i) => {
    assertEquals(chunk.byteOffset, 0);
    const text = decoder.decode(chunk);
    if (i < chunks.length - 1) assert(WHITESPACE_AT_END.test(text), `chunk ${i}: ${text}`);
  });
}

Deno.test("textChunks() cuts only after whitespace at every chunk size", async () => {
  const text = "ab\u00a0日本語 😀x\u3000é\u2028\u2029z\u0085q\x1cr\u205fs\u2003t\u1680u v\r\n";
  const bytes = new TextEncoder().encode(text.repeat(3));
  for (let size = 1; size <= bytes.length + 1; size++) {
    const chunks = await collect(text.repeat(3), size);
    assertEquals(concat(chunks), bytes);
    assertCleanCuts(chunks);
  }
});

Deno.test("textChunks() reassembles a corpus streamed in odd pieces", async () => {
  const bytes = corpus(200_000);
  for (const piece of [1, 3, 1000, 65_537]) {
    const stream = ReadableStream.from((function* () {
      for (let i = 0; i < bytes.length; i += piece) yield bytes.slice(i, i + piece);
    })());
    for (const size of [7, 4096]) {
      const chunks = await collect(piece === 1 ? stream : bytes, size);
      assertEquals(concat(chunks), bytes);
      assertCleanCuts(chunks);
      if (piece === 1) break; // the stream is consumed
    }
  }
});

Deno.test("textChunks() grows a chunk for a word longer than chunkBytes", async () => {
  const text = "a " + "x".repeat(100) + " b " + "y".repeat(50);
  const chunks = (await collect(text, 8)).map((c) => new TextDecoder().decode(c));
  assertEquals(chunks.join(""), text);
  assertEquals(chunks[0], "a ");
  assert(chunks.some((c) => c.startsWith("x".repeat(100) + " ")));
  assert(chunks.every((c) => c.length <= 8 || c.split(" ").some((w) => w.length > 8)));
});

Deno.test("textChunks() reads a file in pieces and closes it", async () => {
  const path = await Deno.makeTempFile();
  try {
    const bytes = corpus(50_000);
    await Deno.writeFile(path, bytes);
    const chunks = await collect({ path }, 1000);
    assert(chunks.length > 40);
    assertEquals(concat(chunks), bytes);
    assertCleanCuts(chunks);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("textChunks() rejects a directory, a missing file and a bad chunk size", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(() => collect({ path: dir }, 10), TypeError, "is a directory");
    await assertRejects(() => collect({ path: `${dir}/missing.txt` }, 10), Deno.errors.NotFound);
    await assertRejects(() => collect("text", 0), RangeError, "received 0");
    await assertRejects(() => collect("text", 1.5), RangeError, "received 1.5");
  } finally {
    await Deno.remove(dir);
  }
});

Deno.test("textChunks() stops reading when aborted", async () => {
  const controller = new AbortController();
  const seen: Uint8Array[] = [];
  await assertRejects(
    async () => {
      for await (
        const chunk of textChunks("a b c d e f", { chunkBytes: 2, signal: controller.signal })
      ) {
        seen.push(chunk);
        controller.abort(new DOMException("stop", "AbortError"));
      }
    },
    DOMException,
    "stop",
  );
  assertEquals(seen.length, 1);
});

Deno.test("textChunks() refuses a string that looks like a lone path", async () => {
  const error = await assertRejects(() => collect("/data/corpus.txt", 10), TypeError);
  assertMatch(error.message, /pass \{ path \}.*: received '\/data\/corpus\.txt'$/);
  assertEquals((await collect(["/data/corpus.txt"], 10)).length, 1);
});
