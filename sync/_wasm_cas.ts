/**
 * Private: compare-and-swap on a lock word through WebAssembly.
 *
 * V8 runs every `Atomics.*` call from JavaScript as a builtin call (~15 ns here), while
 * WebAssembly's `i32.atomic.rmw.cmpxchg` compiles to one inline instruction. So the word
 * of a `Lock` or `RLock` lives in a one-page shared `WebAssembly.Memory` (a slab of
 * 1,024 locks, see `_lock_slab.ts`), and its uncontended acquire and release go through
 * a tiny module instantiated over that memory, once per memory object: about 2.5 times
 * faster than two `Atomics.compareExchange` calls. Where WebAssembly or
 * its shared memory is unavailable (`--jitless`), or a lock was rebuilt from a bare
 * `SharedArrayBuffer`, the same operation runs on `Atomics` instead: both act on the
 * same word atomically, so threads may mix them.
 *
 * @module
 */

/** `cas(byteOffset, expected, replacement)` returns the old value of the Int32 word. */
export type Cas = (byteOffset: number, expected: number, replacement: number) => number;

// (module
//   (import "e" "m" (memory 1 1 shared))
//   (func (export "c") (param i32 i32 i32) (result i32)
//     (i32.atomic.rmw.cmpxchg (local.get 0) (local.get 1) (local.get 2))))
const CAS_MODULE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // magic, version
  0x01,
  0x08,
  0x01,
  0x60,
  0x03,
  0x7f,
  0x7f,
  0x7f,
  0x01,
  0x7f, // type (i32 i32 i32) -> i32
  0x02,
  0x09,
  0x01,
  0x01,
  0x65,
  0x01,
  0x6d,
  0x02,
  0x03,
  0x01,
  0x01, // import e.m shared 1..1
  0x03,
  0x02,
  0x01,
  0x00, // one function of type 0
  0x07,
  0x05,
  0x01,
  0x01,
  0x63,
  0x00,
  0x00, // export "c"
  0x0a,
  0x0e,
  0x01,
  0x0c,
  0x00,
  0x20,
  0x00,
  0x20,
  0x01,
  0x20,
  0x02, // code: locals 0..2
  0xfe,
  0x48,
  0x02,
  0x00,
  0x0b, // i32.atomic.rmw.cmpxchg align=4 offset=0, end
]);

/** Bytes of a lock memory (a slab): one WebAssembly page. */
export const PAGE_BYTES = 65_536;

let compiled: WebAssembly.Module | null | undefined;

function casModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(CAS_MODULE);
    } catch {
      // No WebAssembly here (e.g. --jitless): locks use Atomics, which is only slower.
      compiled = null;
    }
  }
  return compiled;
}

/** Whether `value` is a `WebAssembly.Memory` (false where WebAssembly is missing). */
export function isWasmMemory(value: unknown): value is WebAssembly.Memory {
  return typeof WebAssembly === "object" && value instanceof WebAssembly.Memory;
}

/**
 * A new one-page shared memory for a lock word, or `undefined` where shared
 * WebAssembly memory is unavailable (the caller then allocates a plain buffer).
 */
export function newCasMemory(): WebAssembly.Memory | undefined {
  if (casModule() === null) return undefined;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    return undefined;
  }
}

/**
 * Compare-and-swaps a lock takes through `Atomics` before it installs the WebAssembly
 * one: instantiating costs ~13 µs, more than a lock used a few times (one revived for
 * a single pool task, say, whose memory object is new) would ever win back.
 */
export const WARM_CALLS = 64;

/** One instance per memory object: every lock of a slab shares it. */
const instances = new WeakMap<WebAssembly.Memory, Cas | undefined>();

/**
 * The compare-and-swap compiled over `memory` (a one-page shared WebAssembly memory),
 * or `undefined` if WebAssembly is missing or `memory` has another shape (then the
 * caller stays on `Atomics`). Instantiated once per memory object.
 */
export function wasmCas(memory: WebAssembly.Memory): Cas | undefined {
  if (instances.has(memory)) return instances.get(memory);
  const module = casModule();
  let cas: Cas | undefined;
  if (module !== null) {
    try {
      cas = new WebAssembly.Instance(module, { e: { m: memory } }).exports.c as Cas;
    } catch {
      cas = undefined;
    }
  }
  instances.set(memory, cas);
  return cas;
}
