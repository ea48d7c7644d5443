/**
 * Private: an open-addressing hash table of words keyed by their UTF-8 bytes, with a
 * byte-level tokenizer that feeds it. Words are decoded to strings only once per
 * distinct word, at the end.
 *
 * Layout, chosen so that counting a known word touches about three cache lines: `#slots`
 * holds `(hash, entry + 1)` pairs (linear probing, load ≤ 1/2); `#meta` holds
 * `(offset, length, hash, recent count)` per entry (with `#counts` alongside) in
 * first-seen order; `#arena` holds the words' bytes back to back.
 *
 * @module
 */

import { BYTE_CLASS, multiByteSpaceLength, SPACE, WORD } from "./_whitespace.ts";
import { type CountedWord, WasmCounter } from "./_wasm_counter.ts";

/**
 * Which tokenizer `countWords` uses (tests set it): a table counts with WebAssembly (see
 * `_wasm_counter.ts`) from its first call with at least `wasmFromBytes` bytes, and in
 * JavaScript before that (small inputs: no instance to create) or without WebAssembly.
 */
export const countEngine: { wasmFromBytes: number } = { wasmFromBytes: 1 << 16 };

/**
 * Memory a table's WebAssembly counter may hold (it keeps every region it outgrew) before
 * the table goes on in JavaScript: about 5 million distinct words. Far below 2 GiB, so
 * one more call (which at most doubles its regions) keeps its addresses in Int32 range.
 */
const WASM_MAX_BYTES = 512 << 20;

/**
 * The compact, transferable result of counting one chunk with a long-lived table (one
 * per worker): the words the table saw for the first time since its previous result
 * (bytes joined in `words`, with their offsets, lengths and hashes), then this chunk's
 * counts by the table's entry number. The merging table keeps, per source, which of its
 * own entries each source entry is, so a known word costs one array lookup to merge: no
 * hashing, no byte comparison, no decoding. A table's first result is whole: it is the
 * table's own arrays, copied, which an empty table adopts as they are.
 */
export interface ChunkCounts {
  /** Identifies the table that made this result. */
  source: string;
  /** Position of this result among its source's results (0, 1, 2, …). */
  seq: number;
  /** The source's entry number of the first new word. */
  first: number;
  /** The new words' UTF-8 bytes, one after the other. */
  words: Uint8Array;
  /**
   * Four numbers per new word: its offset (in the source's bytes: `words` starts at the
   * first word's offset), byte length, hash (so merging does not hash again), and a
   * fourth that merging ignores.
   */
  entries: Int32Array;
  /** Source entry numbers of the words counted in this chunk (empty when `whole`). */
  ids: Uint32Array;
  /** How often each of those occurred in this chunk. */
  counts: Uint32Array;
  /** In a table's first result: the count of every entry, instead of `ids` and `counts`. */
  whole?: Float64Array;
  /** Words in this chunk (the sum of `counts`). */
  total: number;
  /** Bytes of input in this chunk. */
  bytes: number;
  /** For a file counted on workers: how many of its byte ranges this result covers. */
  ranges?: number;
}

/** Per source table: its entry number → this table's entry number. */
interface SourceMap {
  map: Int32Array;
  size: number;
  /** The `seq` of the next result to merge. */
  next: number;
  /** Results that arrived before an earlier one of the same source. */
  early: ChunkCounts[];
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const INITIAL_CAPACITY = 1 << 12;

/** FNV-1a hash of `bytes[start, end)`, the same as the tokenizer computes. */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME);
  return h;
}

/** Word → count table keyed by bytes. */
export class WordTable {
  #mask = INITIAL_CAPACITY - 1;
  #slots = new Int32Array(INITIAL_CAPACITY * 2);
  #meta = new Int32Array(INITIAL_CAPACITY * 2);
  #counts = new Float64Array(INITIAL_CAPACITY >> 1);
  #size = 0;
  #arena = new Uint8Array(1 << 15);
  #used = 0;
  #total = 0;
  #bytes = 0;
  #pending = 0; // words counted in #meta since the last #flush()
  #changedIds = new Uint32Array(0); // takeCounts() scratch
  #changedBy = new Uint32Array(0);
  // What takeCounts() reported already.
  #id = crypto.randomUUID();
  #sentSize = 0;
  #sent = new Float64Array(0);
  #sentTotal = 0;
  #sentBytes = 0;
  #seq = 0;
  #sources = new Map<string, SourceMap>();
  // What toMap() made: the map, each entry's key, and the counts it holds.
  #map = new Map<string, number>();
  #keys: string[] = [];
  #mapped = new Float64Array(0);
  #shared = false; // whether a key may stand for several entries (invalid UTF-8 seen)
  // Counts words once a big input comes (null: no WebAssembly); its counts join this
  // table's in #absorb(), before anything reads them.
  #wasm: WasmCounter | null | undefined;
  // Whether this table's entries are the counter's, in its order (nothing else added
  // any): then #absorb() copies its new entries in bulk instead of looking each up.
  #mirror = false;
  // The first entry without a slot, or -1: copying the counter's entries leaves their
  // slots to the first lookup (a worker's table only reports, and never looks up).
  #unplaced = -1;
  #absorbFull = () => this.#absorb(); // the counter's Int32 counts must not overflow
  #take = (word: CountedWord) => {
    const k = this.#entry(word.bytes, word.start, word.end, word.hash);
    this.#counts[k] += word.count;
  };

  /** Number of distinct words. */
  get size(): number {
    this.#absorb();
    return this.#size;
  }

  /** Total number of words counted. */
  get total(): number {
    return this.#total + (this.#wasm?.words ?? 0);
  }

  /** Empties the table (it becomes a new source for {@linkcode WordTable.merge}). */
  clear(): void {
    this.#wasm?.drain(() => {});
    this.#mirror = !!this.#wasm;
    this.#unplaced = -1;
    this.#slots.fill(0);
    this.#size = 0;
    this.#used = 0;
    this.#total = 0;
    this.#bytes = 0;
    this.#pending = 0;
    this.#id = crypto.randomUUID();
    this.#sentSize = 0;
    this.#sent.fill(0);
    this.#sentTotal = 0;
    this.#sentBytes = 0;
    this.#seq = 0;
    this.#sources.clear();
    this.#map = new Map();
    this.#keys = [];
    this.#mapped = new Float64Array(0);
    this.#shared = false;
  }

  /**
   * Splits `bytes[start, end)` into words exactly like Python's `str.split()` and counts
   * them. The range must not begin or end inside a word.
   */
  countWords(bytes: Uint8Array, start = 0, end: number = bytes.length): void {
    if (this.#wasm === undefined && end - start >= countEngine.wasmFromBytes) {
      this.#wasm = WasmCounter.create() ?? null;
      this.#mirror = this.#size === 0;
    }
    if (this.#wasm) {
      const stopped = this.#wasm.count(bytes, start, end, this.#absorbFull);
      this.#bytes += stopped - start;
      if (stopped === end && this.#wasm.memoryBytes <= WASM_MAX_BYTES) return;
      // A huge vocabulary, or a word longer than the counter takes: go on in JavaScript
      // (whose arrays give memory back), with what the counter counted.
      this.#settle();
      this.#wasm = null;
      start = stopped;
    }
    const cls = BYTE_CLASS;
    let slots = this.#slots;
    let mask = this.#mask;
    let meta = this.#meta;
    let arena = this.#arena;
    let i = start;
    let words = 0;
    while (i < end) {
      let b = bytes[i];
      let c = cls[b];
      if (c === SPACE) {
        i++;
        continue;
      }
      if (c !== WORD) {
        const n = multiByteSpaceLength(bytes, i, end);
        if (n > 0) {
          i += n;
          continue;
        }
      }
      const s = i;
      let h = FNV_OFFSET;
      for (;;) {
        h = Math.imul(h ^ b, FNV_PRIME);
        if (++i >= end) break;
        b = bytes[i];
        c = cls[b];
        if (c === WORD) continue;
        if (c === SPACE || multiByteSpaceLength(bytes, i, end) > 0) break;
      }
      words++;
      // Probe inline (the hot path); #insert handles new words.
      const len = i - s;
      let slot = (h ^ (h >>> 15)) & mask;
      for (;;) {
        const idx = slots[2 * slot + 1];
        if (idx === 0) {
          this.#insert(bytes, s, i, h, 1, slot);
          slots = this.#slots;
          mask = this.#mask;
          meta = this.#meta;
          arena = this.#arena;
          break;
        }
        if (slots[2 * slot] === h) {
          const m = 4 * (idx - 1);
          if (meta[m + 1] === len) {
            let off = meta[m];
            let j = s;
            while (j < i && arena[off] === bytes[j]) {
              j++;
              off++;
            }
            if (j === i) {
              meta[m + 3]++; // same cache line as offset and length; see #flush()
              break;
            }
          }
        }
        slot = (slot + 1) & mask;
      }
    }
    this.#total += words;
    this.#bytes += end - start;
    // Fold the Int32 counts into #counts long before one could overflow.
    this.#pending += words;
    if (this.#pending > 0x3fffffff) this.#flush();
  }

  /** Adds what the WebAssembly counter counted (new words in its first-seen order). */
  #absorb(): void {
    const wasm = this.#wasm;
    if (!wasm || wasm.words === 0) return;
    if (!this.#mirror) {
      this.#total += wasm.words;
      wasm.drain(this.#take);
      return;
    }
    // Mirrored: append the counter's new entries as they are (same arena offsets), then
    // move every count over, leaving the counter's entries with count 0.
    const table = wasm.table();
    const { int32s, size: n } = table;
    const k0 = this.#size;
    this.#reserve(n, table.used);
    this.#arena.set(
      table.bytes.subarray(table.arena + this.#used, table.arena + table.used),
      this.#used,
    );
    this.#used = table.used;
    const meta = this.#meta;
    meta.set(int32s.subarray(table.meta + 4 * k0, table.meta + 4 * n), 4 * k0);
    this.#size = n;
    if (this.#unplaced < 0) this.#unplaced = k0;
    const counts = this.#counts;
    counts.fill(0, k0, n); // after clear(), old counts linger there
    for (let k = 0, m = table.meta + 3; k < n; k++, m += 4) {
      const count = int32s[m];
      if (count !== 0) {
        counts[k] += count;
        int32s[m] = 0;
      }
    }
    for (let m = 4 * k0 + 3; m < 4 * n; m += 4) meta[m] = 0;
    this.#total += wasm.takeWords();
  }

  /**
   * Takes the counter's counts and gives every entry its slot, before this table looks a
   * word up or takes words from elsewhere (so it no longer mirrors the counter).
   */
  #settle(): void {
    this.#absorb();
    if (this.#unplaced >= 0) {
      this.#place(this.#unplaced);
      this.#unplaced = -1;
    }
    this.#mirror = false;
  }

  /** Grows the arrays to hold `entries` entries and `bytes` bytes of words. */
  #reserve(entries: number, bytes: number): void {
    if (entries > this.#counts.length) {
      let capacity = this.#counts.length;
      while (capacity < entries) capacity *= 2;
      const meta = new Int32Array(4 * capacity);
      meta.set(this.#meta.subarray(0, 4 * this.#size));
      this.#meta = meta;
      const counts = new Float64Array(capacity);
      counts.set(this.#counts.subarray(0, this.#size));
      this.#counts = counts;
    }
    if (bytes > this.#arena.length) {
      const arena = new Uint8Array(Math.max(2 * this.#arena.length, bytes));
      arena.set(this.#arena.subarray(0, this.#used));
      this.#arena = arena;
    }
  }

  /**
   * Gives the entries from `k0` to `#size` (distinct words, new to the table) their slots;
   * when the slots would be over half full, doubles them and places every entry again.
   */
  #place(k0: number): void {
    let mask = this.#mask;
    while (this.#size * 2 > mask) mask = 2 * mask + 1;
    if (mask !== this.#mask) {
      this.#slots = new Int32Array(2 * (mask + 1));
      this.#mask = mask;
      k0 = 0;
    }
    const slots = this.#slots;
    const meta = this.#meta;
    for (let k = k0; k < this.#size; k++) {
      const h = meta[4 * k + 2];
      let slot = (h ^ (h >>> 15)) & mask;
      while (slots[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      slots[2 * slot] = h;
      slots[2 * slot + 1] = k + 1;
    }
  }

  /** Moves the hot Int32 counts (`#meta[4k + 3]`) into `#counts`. */
  #flush(): void {
    const meta = this.#meta;
    const counts = this.#counts;
    for (let k = 0; k < this.#size; k++) {
      const m = 4 * k + 3;
      if (meta[m] !== 0) {
        counts[k] += meta[m];
        meta[m] = 0;
      }
    }
    this.#pending = 0;
  }

  /**
   * Results merged out of order that still wait for an earlier one of their source: 0
   * once every result of a count was merged (anything else means results went missing).
   */
  get waiting(): number {
    let waiting = 0;
    for (const source of this.#sources.values()) waiting += source.early.length;
    return waiting;
  }

  /**
   * Adds the counts of one chunk's result. Results of one source must all be merged
   * (in any order: one that comes before an earlier one waits for it).
   */
  merge(part: ChunkCounts): void {
    this.#settle(); // entries of other tables follow
    let source = this.#sources.get(part.source);
    if (source === undefined) {
      source = {
        map: new Int32Array(Math.max(1024, part.first + (part.entries.length >> 2))),
        size: 0,
        next: 0,
        early: [],
      };
      this.#sources.set(part.source, source);
    }
    if (part.seq > source.next) {
      source.early.push(part);
      return;
    }
    if (part.seq < source.next || part.first !== source.size) {
      throw new RangeError(
        `Cannot merge word counts as a result was merged twice: received result ${part.seq}`,
      );
    }
    this.#apply(part, source);
    for (let i = 0; i < source.early.length; i++) {
      const next = source.early[i];
      if (next.seq === source.next) {
        source.early.splice(i, 1);
        this.#apply(next, source);
        i = -1;
      }
    }
  }

  #apply(part: ChunkCounts, source: SourceMap): void {
    const { words, entries, ids, counts, whole } = part;
    const added = entries.length >> 2;
    const end = part.first + added;
    if (end > source.map.length) {
      const map = new Int32Array(Math.max(end, source.map.length * 2));
      map.set(source.map);
      source.map = map;
    }
    const map = source.map;
    if (whole !== undefined && part.first === 0 && this.#size === 0) {
      this.#adopt(words, entries, whole);
      for (let j = 0; j < added; j++) map[j] = j;
    } else {
      const base = added > 0 ? entries[0] : 0;
      for (let j = 0, m = 0; j < added; j++, m += 4) {
        const s = entries[m] - base;
        map[part.first + j] = this.#entry(words, s, s + entries[m + 1], entries[m + 2]);
      }
      const mine = this.#counts;
      if (whole !== undefined) {
        for (let k = 0; k < whole.length; k++) mine[map[k]] += whole[k];
      } else {
        for (let i = 0; i < ids.length; i++) mine[map[ids[i]]] += counts[i];
      }
    }
    source.size = end;
    source.next++;
    this.#total += part.total;
    this.#bytes += part.bytes;
  }

  /**
   * Makes this empty table a copy of a table's first (whole) result: its arrays copied
   * at once, then the slots rebuilt from the hashes; no word is compared or copied alone.
   */
  #adopt(words: Uint8Array, entries: Int32Array, whole: Float64Array): void {
    const n = whole.length;
    let capacity = this.#counts.length;
    while (capacity <= n) capacity *= 2;
    const meta = new Int32Array(4 * capacity);
    meta.set(entries);
    const counts = new Float64Array(capacity);
    counts.set(whole);
    const arena = new Uint8Array(Math.max(this.#arena.length, 2 * words.length));
    arena.set(words);
    const base = n > 0 ? entries[0] : 0;
    for (let m = 0; m < 4 * n; m += 4) {
      meta[m] -= base;
      meta[m + 3] = 0;
    }
    this.#meta = meta;
    this.#counts = counts;
    this.#arena = arena;
    this.#used = words.length;
    this.#slots = new Int32Array(2 * (this.#mask + 1));
    this.#size = n;
    this.#place(0);
  }

  /** The entry of word `src[s, e)` with hash `h`, inserted with count 0 if new. */
  #entry(src: Uint8Array, s: number, e: number, h: number): number {
    const len = e - s;
    const slots = this.#slots;
    const mask = this.#mask;
    const meta = this.#meta;
    const arena = this.#arena;
    let slot = (h ^ (h >>> 15)) & mask;
    for (;;) {
      const idx = slots[2 * slot + 1];
      if (idx === 0) break;
      if (slots[2 * slot] === h) {
        const m = 4 * (idx - 1);
        if (meta[m + 1] === len) {
          let off = meta[m];
          let j = s;
          while (j < e && arena[off] === src[j]) {
            j++;
            off++;
          }
          if (j === e) return idx - 1;
        }
      }
      slot = (slot + 1) & mask;
    }
    this.#insert(src, s, e, h, 0, slot);
    return this.#size - 1;
  }

  /**
   * What this table counted since the previous call, as a compact, transferable
   * {@linkcode ChunkCounts} (the first call reports everything).
   */
  takeCounts(): ChunkCounts {
    this.#absorb();
    const n = this.#size;
    const first = this.#sentSize;
    const meta = this.#meta;
    const from = first < n ? meta[4 * first] : this.#used;
    const words = this.#arena.slice(from, this.#used);
    if (this.#sent.length < this.#counts.length) {
      const sent = new Float64Array(this.#counts.length);
      sent.set(this.#sent);
      this.#sent = sent;
    }
    const counts = this.#counts;
    const sent = this.#sent;
    let whole: Float64Array | undefined;
    let ids: Uint32Array;
    let deltas: Uint32Array;
    if (this.#seq === 0) {
      // The first result is whole: the arrays as they are (after folding the hot counts).
      this.#flush();
      whole = counts.slice(0, n);
      sent.set(whole);
      ids = new Uint32Array(0);
      deltas = new Uint32Array(0);
    } else {
      // One pass: fold the hot counts (as #flush() does) and collect what changed.
      // Scratch reused across calls: a fresh pair per range would cost 8 bytes per
      // distinct word each time; only the slices below leave this table.
      if (this.#changedIds.length < n) {
        this.#changedIds = new Uint32Array(Math.max(n, this.#changedIds.length * 2));
        this.#changedBy = new Uint32Array(this.#changedIds.length);
      }
      const changedIds = this.#changedIds;
      const changedBy = this.#changedBy;
      let changed = 0;
      for (let k = 0, m = 3; k < n; k++, m += 4) {
        let count = counts[k];
        const hot = meta[m];
        if (hot !== 0) {
          count += hot;
          counts[k] = count;
          meta[m] = 0;
        }
        if (count !== sent[k]) {
          changedIds[changed] = k;
          changedBy[changed++] = count - sent[k];
          sent[k] = count;
        }
      }
      this.#pending = 0;
      ids = changedIds.slice(0, changed);
      deltas = changedBy.slice(0, changed);
    }
    const part: ChunkCounts = {
      source: this.#id,
      seq: this.#seq++,
      first,
      words,
      entries: meta.slice(4 * first, 4 * n),
      ids,
      counts: deltas,
      total: this.#total - this.#sentTotal,
      bytes: this.#bytes - this.#sentBytes,
    };
    if (whole !== undefined) part.whole = whole;
    this.#sentSize = n;
    this.#sentTotal = this.#total;
    this.#sentBytes = this.#bytes;
    return part;
  }

  /**
   * Decodes each distinct word once and returns word → count. Calling it again after
   * more counting or merging updates and returns the same map: the words decoded before
   * keep their strings (whose hashes the map already knows), so only the counts are set
   * again and only the new words are decoded. That makes an early call, while other
   * threads still count, do most of the decoding.
   */
  toMap(): Map<string, number> {
    this.#absorb();
    this.#flush();
    const map = this.#map;
    const keys = this.#keys;
    const mapped = this.#mapped;
    const counts = this.#counts;
    const known = keys.length;
    if (this.#shared) {
      // Some keys stand for several entries (see below): add the differences.
      for (let k = 0; k < known; k++) {
        const delta = counts[k] - mapped[k];
        if (delta !== 0) map.set(keys[k], map.get(keys[k])! + delta);
      }
    } else {
      for (let k = 0; k < known; k++) if (counts[k] !== mapped[k]) map.set(keys[k], counts[k]);
    }
    const n = this.#size;
    if (n > known) this.#decode(known, n);
    if (this.#mapped.length < counts.length) this.#mapped = new Float64Array(counts.length);
    this.#mapped.set(counts.subarray(0, n));
    return map;
  }

  /** Decodes entries `[from, n)` into `#keys` and adds them to `#map`. */
  #decode(from: number, n: number): void {
    const map = this.#map;
    const keys = this.#keys;
    const meta = this.#meta;
    const counts = this.#counts;
    const base = meta[4 * from];
    const arena = this.#arena.subarray(base, this.#used);
    // Fast path: valid UTF-8 decodes in one call; each word's UTF-16 length follows from
    // its bytes (one unit per non-continuation byte, two for a 4-byte sequence). Valid
    // UTF-8 has one string per byte string, so each word is new to the map, unless a
    // word decoded from invalid bytes (with U+FFFD) is in it: then only the slow path.
    let text: string | undefined;
    if (!this.#shared) {
      try {
        text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(arena);
      } catch {
        text = undefined;
      }
    }
    if (text !== undefined && text.length === arena.length) {
      // All ASCII (only then is there one UTF-16 unit per byte): no byte to look at.
      for (let k = from, pos = 0; k < n; k++) {
        const units = meta[4 * k + 1];
        const word = text.slice(pos, pos + units);
        pos += units;
        map.set(word, counts[k]);
        keys.push(word);
      }
      return;
    }
    if (text !== undefined) {
      let pos = 0;
      let at = 0;
      for (let k = from; k < n; k++) {
        if ((arena[at] & 0xc0) === 0x80) {
          // Only the concatenation is valid: invalid bytes split across words. Undo.
          while (keys.length > from) map.delete(keys.pop()!);
          text = undefined;
          break;
        }
        const end = meta[4 * k] - base + meta[4 * k + 1];
        let units = 0;
        for (; at < end; at++) {
          const b = arena[at];
          if ((b & 0xc0) !== 0x80) units += b >= 0xf0 ? 2 : 1;
        }
        const word = text.slice(pos, pos + units);
        pos += units;
        map.set(word, counts[k]);
        keys.push(word);
      }
      if (text !== undefined) return;
    }
    // ignoreBOM keeps a U+FEFF at the start of a word, as Python's "utf-8" codec does.
    const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    const whole = this.#arena;
    this.#shared = true;
    for (let k = from; k < n; k++) {
      const offset = meta[4 * k];
      // Different byte strings decode to the same string when they hold invalid UTF-8.
      const word = decoder.decode(whole.subarray(offset, offset + meta[4 * k + 1]));
      map.set(word, (map.get(word) ?? 0) + counts[k]);
      keys.push(word);
    }
  }

  #insert(src: Uint8Array, s: number, e: number, h: number, n: number, slot: number): void {
    const len = e - s;
    const k = this.#size;
    if (k === this.#counts.length) {
      const meta = new Int32Array(this.#meta.length * 2);
      meta.set(this.#meta);
      this.#meta = meta;
      const counts = new Float64Array(this.#counts.length * 2);
      counts.set(this.#counts);
      this.#counts = counts;
    }
    if (this.#used + len > this.#arena.length) {
      const arena = new Uint8Array(Math.max(this.#arena.length * 2, this.#used + len));
      arena.set(this.#arena.subarray(0, this.#used));
      this.#arena = arena;
    }
    const arena = this.#arena;
    if (len > 32) arena.set(src.subarray(s, e), this.#used);
    else for (let i = s, j = this.#used; i < e; i++, j++) arena[j] = src[i]; // no view
    const m = 4 * k;
    this.#meta[m] = this.#used;
    this.#meta[m + 1] = len;
    this.#meta[m + 2] = h;
    this.#meta[m + 3] = 0;
    this.#counts[k] = n;
    this.#used += len;
    this.#size = k + 1;
    this.#slots[2 * slot] = h;
    this.#slots[2 * slot + 1] = k + 1;
    if (this.#size * 2 > this.#mask) this.#place(this.#size); // doubles the slots
  }
}
