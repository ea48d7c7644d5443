;; The word counter of `_wasm_counter.ts`: splits bytes into words exactly like
;; `WordTable.countWords` (Python's `str.split()`) and counts them in an open-addressing
;; table of its own, all inside this module's memory. Assembled into
;; `_count_words_wasm.ts` by `deno task build:wasm`.
;;
;; Memory layout. The header holds the state (i32 at these byte offsets):
;;    0 slots: address of the slots, 8 bytes each: the word's hash, its entry number + 1
;;    4 mask: number of slots - 1 (a power of two)
;;    8 meta: address of the entries, 16 bytes each: arena offset, length, hash, count
;;   12 metaCap: entries that fit
;;   16 arena: address of the words' bytes, one after the other
;;   20 arenaCap: bytes that fit
;;   24 used: bytes of the arena in use
;;   28 size: number of entries (distinct words)
;;   32 words: words counted
;;   36 top: the first free byte (regions are bump-allocated and never freed)
;;   40 input: address of the input region, where the caller writes the bytes to count
;;   44 inputCap: bytes that fit there
;; Bytes 256-511 hold each byte's class (0 word, 1 whitespace, 2 maybe the lead byte of
;; multi-byte whitespace), written by the caller. Regions start at 1024.
(module
  (memory (export "memory") 1)

  ;; Reserves `bytes` bytes (zeroed: memory is never reused) and returns their address.
  (func $alloc (param $bytes i32) (result i32)
    (local $at i32) (local $end i64) (local $pages i64)
    (local.set $at (i32.load offset=36 (i32.const 0)))
    (local.set $end (i64.add (i64.extend_i32_u (local.get $at)) (i64.extend_i32_u (local.get $bytes))))
    (local.set $pages
      (i64.sub (i64.shr_u (i64.add (local.get $end) (i64.const 65535)) (i64.const 16))
        (i64.extend_i32_u (memory.size))))
    (if (i64.gt_s (local.get $pages) (i64.const 0))
      (then
        (if (i64.gt_u (local.get $pages) (i64.const 65536)) (then unreachable))
        (if (i32.eq (memory.grow (i32.wrap_i64 (local.get $pages))) (i32.const -1))
          (then unreachable))))
    ;; Keep regions 8-byte aligned.
    (i32.store offset=36 (i32.const 0)
      (i32.wrap_i64 (i64.and (i64.add (local.get $end) (i64.const 7)) (i64.const -8))))
    (local.get $at))

  ;; Starts an empty table: `slots` slots (a power of two), room for `entries` entries,
  ;; `arena` bytes of words and `input` bytes of input.
  (func (export "init") (param $slots i32) (param $entries i32) (param $arena i32) (param $input i32)
    (i32.store offset=36 (i32.const 0) (i32.const 1024))
    (i32.store offset=0 (i32.const 0) (call $alloc (i32.shl (local.get $slots) (i32.const 3))))
    (i32.store offset=4 (i32.const 0) (i32.sub (local.get $slots) (i32.const 1)))
    (i32.store offset=8 (i32.const 0) (call $alloc (i32.shl (local.get $entries) (i32.const 4))))
    (i32.store offset=12 (i32.const 0) (local.get $entries))
    (i32.store offset=16 (i32.const 0) (call $alloc (local.get $arena)))
    (i32.store offset=20 (i32.const 0) (local.get $arena))
    (i32.store offset=24 (i32.const 0) (i32.const 0))
    (i32.store offset=28 (i32.const 0) (i32.const 0))
    (i32.store offset=32 (i32.const 0) (i32.const 0))
    (i32.store offset=40 (i32.const 0) (call $alloc (local.get $input)))
    (i32.store offset=44 (i32.const 0) (local.get $input)))

  ;; The address of an input region of at least `bytes` bytes.
  (func (export "input") (param $bytes i32) (result i32)
    (if (i32.gt_u (local.get $bytes) (i32.load offset=44 (i32.const 0)))
      (then
        (i32.store offset=40 (i32.const 0) (call $alloc (local.get $bytes)))
        (i32.store offset=44 (i32.const 0) (local.get $bytes))))
    (i32.load offset=40 (i32.const 0)))

  ;; Empties the table, keeping its regions.
  (func (export "clear")
    (memory.fill (i32.load offset=0 (i32.const 0)) (i32.const 0)
      (i32.shl (i32.add (i32.load offset=4 (i32.const 0)) (i32.const 1)) (i32.const 3)))
    (i32.store offset=24 (i32.const 0) (i32.const 0))
    (i32.store offset=28 (i32.const 0) (i32.const 0))
    (i32.store offset=32 (i32.const 0) (i32.const 0)))

  ;; Length of the multi-byte whitespace sequence at `i` (before `end`), or 0; the same
  ;; as `multiByteSpaceLength` in `_whitespace.ts`.
  (func $spaceLength (param $i i32) (param $end i32) (result i32)
    (local $b i32) (local $c i32) (local $d i32)
    (local.set $b (i32.load8_u (local.get $i)))
    (if (i32.eq (local.get $b) (i32.const 0xc2))
      (then
        (if (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $end))
          (then (return (i32.const 0))))
        (local.set $c (i32.load8_u offset=1 (local.get $i)))
        ;; U+0085, U+00A0
        (return (select (i32.const 2) (i32.const 0)
          (i32.or (i32.eq (local.get $c) (i32.const 0x85))
            (i32.eq (local.get $c) (i32.const 0xa0)))))))
    (if (i32.ge_u (i32.add (local.get $i) (i32.const 2)) (local.get $end))
      (then (return (i32.const 0))))
    (local.set $c (i32.load8_u offset=1 (local.get $i)))
    (local.set $d (i32.load8_u offset=2 (local.get $i)))
    (if (i32.eq (local.get $b) (i32.const 0xe1)) ;; U+1680
      (then (return (select (i32.const 3) (i32.const 0)
        (i32.and (i32.eq (local.get $c) (i32.const 0x9a))
          (i32.eq (local.get $d) (i32.const 0x80)))))))
    (if (i32.eq (local.get $b) (i32.const 0xe2))
      (then
        (if (i32.eq (local.get $c) (i32.const 0x80))
          (then
            ;; U+2000-U+200A, U+2028, U+2029, U+202F
            (return (select (i32.const 3) (i32.const 0)
              (i32.or (i32.le_u (i32.sub (local.get $d) (i32.const 0x80)) (i32.const 0x0a))
                (i32.or (i32.eq (local.get $d) (i32.const 0xa8))
                  (i32.or (i32.eq (local.get $d) (i32.const 0xa9))
                    (i32.eq (local.get $d) (i32.const 0xaf)))))))))
        ;; U+205F
        (return (select (i32.const 3) (i32.const 0)
          (i32.and (i32.eq (local.get $c) (i32.const 0x81))
            (i32.eq (local.get $d) (i32.const 0x9f)))))))
    (if (i32.eq (local.get $b) (i32.const 0xe3)) ;; U+3000
      (then (return (select (i32.const 3) (i32.const 0)
        (i32.and (i32.eq (local.get $c) (i32.const 0x80))
          (i32.eq (local.get $d) (i32.const 0x80)))))))
    (i32.const 0))

  ;; Doubles the slots and places every entry again.
  (func $rehash
    (local $mask i32) (local $slots i32) (local $meta i32) (local $size i32)
    (local $k i32) (local $h i32) (local $slot i32) (local $at i32)
    (local.set $mask
      (i32.sub (i32.shl (i32.add (i32.load offset=4 (i32.const 0)) (i32.const 1)) (i32.const 1))
        (i32.const 1)))
    (local.set $slots (call $alloc (i32.shl (i32.add (local.get $mask) (i32.const 1)) (i32.const 3))))
    (local.set $meta (i32.load offset=8 (i32.const 0)))
    (local.set $size (i32.load offset=28 (i32.const 0)))
    (block $done
      (loop $entry
        (br_if $done (i32.ge_u (local.get $k) (local.get $size)))
        (local.set $h
          (i32.load offset=8 (i32.add (local.get $meta) (i32.shl (local.get $k) (i32.const 4)))))
        (local.set $slot
          (i32.and (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 15)))
            (local.get $mask)))
        (block $free
          (loop $probe
            (local.set $at (i32.add (local.get $slots) (i32.shl (local.get $slot) (i32.const 3))))
            (br_if $free (i32.eqz (i32.load offset=4 (local.get $at))))
            (local.set $slot (i32.and (i32.add (local.get $slot) (i32.const 1)) (local.get $mask)))
            (br $probe)))
        (i32.store offset=0 (local.get $at) (local.get $h))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (i32.store offset=4 (local.get $at) (local.get $k))
        (br $entry)))
    (i32.store offset=0 (i32.const 0) (local.get $slots))
    (i32.store offset=4 (i32.const 0) (local.get $mask)))

  ;; Adds the word `[s, e)` with hash `h`, counted once, in the free slot `slot`.
  (func $insert (param $s i32) (param $e i32) (param $h i32) (param $slot i32)
    (local $len i32) (local $k i32) (local $cap i32) (local $at i32) (local $used i32)
    (local.set $len (i32.sub (local.get $e) (local.get $s)))
    (local.set $k (i32.load offset=28 (i32.const 0)))
    (local.set $used (i32.load offset=24 (i32.const 0)))
    ;; Room for one more entry: double the entries.
    (if (i32.eq (local.get $k) (i32.load offset=12 (i32.const 0)))
      (then
        (local.set $cap (i32.shl (local.get $k) (i32.const 1)))
        (local.set $at (call $alloc (i32.shl (local.get $cap) (i32.const 4))))
        (memory.copy (local.get $at) (i32.load offset=8 (i32.const 0))
          (i32.shl (local.get $k) (i32.const 4)))
        (i32.store offset=8 (i32.const 0) (local.get $at))
        (i32.store offset=12 (i32.const 0) (local.get $cap))))
    ;; Room for its bytes: at least double the arena.
    (if (i32.gt_u (i32.add (local.get $used) (local.get $len)) (i32.load offset=20 (i32.const 0)))
      (then
        (local.set $cap (i32.shl (i32.load offset=20 (i32.const 0)) (i32.const 1)))
        (if (i32.lt_u (local.get $cap) (i32.add (local.get $used) (local.get $len)))
          (then (local.set $cap (i32.add (local.get $used) (local.get $len)))))
        (local.set $at (call $alloc (local.get $cap)))
        (memory.copy (local.get $at) (i32.load offset=16 (i32.const 0)) (local.get $used))
        (i32.store offset=16 (i32.const 0) (local.get $at))
        (i32.store offset=20 (i32.const 0) (local.get $cap))))
    (memory.copy (i32.add (i32.load offset=16 (i32.const 0)) (local.get $used)) (local.get $s)
      (local.get $len))
    (local.set $at (i32.add (i32.load offset=8 (i32.const 0)) (i32.shl (local.get $k) (i32.const 4))))
    (i32.store offset=0 (local.get $at) (local.get $used))
    (i32.store offset=4 (local.get $at) (local.get $len))
    (i32.store offset=8 (local.get $at) (local.get $h))
    (i32.store offset=12 (local.get $at) (i32.const 1))
    (i32.store offset=24 (i32.const 0) (i32.add (local.get $used) (local.get $len)))
    (local.set $k (i32.add (local.get $k) (i32.const 1)))
    (i32.store offset=28 (i32.const 0) (local.get $k))
    (local.set $at (i32.add (i32.load offset=0 (i32.const 0)) (i32.shl (local.get $slot) (i32.const 3))))
    (i32.store offset=0 (local.get $at) (local.get $h))
    (i32.store offset=4 (local.get $at) (local.get $k))
    ;; Keep the slots at most half full.
    (if (i32.gt_u (i32.shl (local.get $k) (i32.const 1)) (i32.load offset=4 (i32.const 0)))
      (then (call $rehash))))

  ;; Counts the words of `[i, end)`, which neither starts nor ends inside a word.
  (func (export "count") (param $i i32) (param $end i32)
    (local $b i32) (local $c i32) (local $n i32) (local $s i32) (local $h i32)
    (local $slots i32) (local $mask i32) (local $meta i32) (local $arena i32)
    (local $slot i32) (local $idx i32) (local $m i32) (local $len i32)
    (local $off i32) (local $j i32) (local $words i32)
    (local.set $slots (i32.load offset=0 (i32.const 0)))
    (local.set $mask (i32.load offset=4 (i32.const 0)))
    (local.set $meta (i32.load offset=8 (i32.const 0)))
    (local.set $arena (i32.load offset=16 (i32.const 0)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $b (i32.load8_u (local.get $i)))
        (local.set $c (i32.load8_u offset=256 (local.get $b)))
        (if (i32.eq (local.get $c) (i32.const 1))
          (then
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
        (if (local.get $c)
          (then
            (local.set $n (call $spaceLength (local.get $i) (local.get $end)))
            (if (local.get $n)
              (then
                (local.set $i (i32.add (local.get $i) (local.get $n)))
                (br $next)))))
        ;; A word: hash it (FNV-1a) up to its end.
        (local.set $s (local.get $i))
        (local.set $h (i32.const 0x811c9dc5))
        (block $ended
          (loop $byte
            (local.set $h (i32.mul (i32.xor (local.get $h) (local.get $b)) (i32.const 0x01000193)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $ended (i32.ge_u (local.get $i) (local.get $end)))
            (local.set $b (i32.load8_u (local.get $i)))
            (local.set $c (i32.load8_u offset=256 (local.get $b)))
            (br_if $byte (i32.eqz (local.get $c)))
            (br_if $ended (i32.eq (local.get $c) (i32.const 1)))
            (br_if $byte (i32.eqz (call $spaceLength (local.get $i) (local.get $end))))))
        (local.set $words (i32.add (local.get $words) (i32.const 1)))
        (local.set $len (i32.sub (local.get $i) (local.get $s)))
        (local.set $slot
          (i32.and (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 15)))
            (local.get $mask)))
        (loop $probe
          (local.set $idx
            (i32.load offset=4 (i32.add (local.get $slots) (i32.shl (local.get $slot) (i32.const 3)))))
          (if (i32.eqz (local.get $idx))
            (then
              ;; A new word: insert it, then reload what inserting may have moved.
              (call $insert (local.get $s) (local.get $i) (local.get $h) (local.get $slot))
              (local.set $slots (i32.load offset=0 (i32.const 0)))
              (local.set $mask (i32.load offset=4 (i32.const 0)))
              (local.set $meta (i32.load offset=8 (i32.const 0)))
              (local.set $arena (i32.load offset=16 (i32.const 0)))
              (br $next)))
          (if (i32.eq
                (i32.load (i32.add (local.get $slots) (i32.shl (local.get $slot) (i32.const 3))))
                (local.get $h))
            (then
              (local.set $m
                (i32.add (local.get $meta) (i32.shl (i32.sub (local.get $idx) (i32.const 1)) (i32.const 4))))
              (if (i32.eq (i32.load offset=4 (local.get $m)) (local.get $len))
                (then
                  (local.set $off (i32.add (local.get $arena) (i32.load (local.get $m))))
                  (local.set $j (local.get $s))
                  (block $differ
                    (loop $compare
                      (br_if $differ (i32.ge_u (local.get $j) (local.get $i)))
                      (br_if $differ
                        (i32.ne (i32.load8_u (local.get $off)) (i32.load8_u (local.get $j))))
                      (local.set $j (i32.add (local.get $j) (i32.const 1)))
                      (local.set $off (i32.add (local.get $off) (i32.const 1)))
                      (br $compare)))
                  (if (i32.eq (local.get $j) (local.get $i))
                    (then
                      (i32.store offset=12 (local.get $m)
                        (i32.add (i32.load offset=12 (local.get $m)) (i32.const 1)))
                      (br $next)))))))
          (local.set $slot (i32.and (i32.add (local.get $slot) (i32.const 1)) (local.get $mask)))
          (br $probe))))
    (i32.store offset=32 (i32.const 0)
      (i32.add (i32.load offset=32 (i32.const 0)) (local.get $words))))
)
