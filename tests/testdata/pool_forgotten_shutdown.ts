// A script that never calls shutdown(): it must exit once its pools are idle, and
// must not exit while a task is still outstanding (its result prints last).
import { ProcessPool, WorkerPool } from "../../pool/mod.ts";

const kind = Deno.args[0];
const pool = kind === "process" ? new ProcessPool({ size: 2 }) : new WorkerPool({ size: 2 });
console.log(await pool.submit((a: number, b: number) => a + b, [1, 2]));
// Nothing awaits this one: only the pool's outstanding task keeps the process alive.
pool.submit(async (ms: number) => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return "late";
}, [300]).then((value) => console.log(value));
