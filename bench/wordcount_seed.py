"""The seed's MapReduce word count, run with multiprocessing.Pool(2).

Usage: python3 bench/wordcount_seed.py FILE [--processes 2] [--chunk 4194304] [--dump OUT.json]

Reads FILE as UTF-8 text, cuts it into line-aligned chunks, maps each chunk with the
seed's map_frequency (str.split() + dict) on a Pool, merges the dictionaries, and prints
one JSON line: {"bytes", "seconds", "words", "distinct"}. Timing covers reading, mapping
and merging (the pool is started first, as the seed does with `with Pool(...)`).
"""

import json
import sys
import time
from multiprocessing import Pool


def map_frequency(text):
    frequency = {}
    for word in text.split():
        frequency[word] = frequency.get(word, 0) + 1
    return frequency


def merge_dictionaries(total, part):
    for word, count in part.items():
        total[word] = total.get(word, 0) + count
    return total


def line_chunks(path, chunk_chars):
    with open(path, encoding="utf-8", errors="replace") as f:
        while True:
            lines = f.readlines(chunk_chars)  # whole lines totalling about chunk_chars
            if not lines:
                return
            yield "".join(lines)


def main():
    args = sys.argv[1:]
    path = args[0]
    processes = int(args[args.index("--processes") + 1]) if "--processes" in args else 2
    chunk = int(args[args.index("--chunk") + 1]) if "--chunk" in args else 4 << 20
    dump = args[args.index("--dump") + 1] if "--dump" in args else None
    with Pool(processes) as pool:
        start = time.perf_counter()
        merged = {}
        for part in pool.imap_unordered(map_frequency, line_chunks(path, chunk)):
            merge_dictionaries(merged, part)
        seconds = time.perf_counter() - start
    with open(path, "rb") as f:
        size = f.seek(0, 2)
    print(json.dumps({"bytes": size, "seconds": seconds, "words": sum(merged.values()),
                      "distinct": len(merged)}))
    if dump:
        with open(dump, "w", encoding="utf-8") as f:
            json.dump(merged, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
