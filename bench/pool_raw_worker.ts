// Raw baseline worker for bench/pool_bench.ts: answers each message, or each batch.
import { count } from "./pool_bench_tasks.ts";

self.onmessage = (event: MessageEvent) => {
  const data = event.data;
  if (typeof data === "number") {
    self.postMessage(data + 1);
  } else if (data.count !== undefined) {
    self.postMessage(count(data.count));
  } else {
    const inputs = data as number[];
    const out = new Array(inputs.length);
    for (let i = 0; i < inputs.length; i++) out[i] = inputs[i] + 1;
    self.postMessage(out);
  }
};
