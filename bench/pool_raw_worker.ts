// Raw baseline worker for bench/pool_bench.ts: answers each message, or each batch.
import { count } from "./pool_bench_tasks.ts";

// The default lib types `self` as a window; this file runs as a worker.
const scope = self as unknown as {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = (event: MessageEvent) => {
  const data = event.data;
  if (typeof data === "number") {
    scope.postMessage(data + 1);
  } else if (data.count !== undefined) {
    scope.postMessage(count(data.count));
  } else {
    const inputs = data as number[];
    const out = new Array(inputs.length);
    for (let i = 0; i < inputs.length; i++) out[i] = inputs[i] + 1;
    scope.postMessage(out);
  }
};
