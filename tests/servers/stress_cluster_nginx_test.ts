// Distributed stress against a target that counts requests: nginx's `stub_status` agrees
// exactly with the merged `requests` of an `-n` run over 2 agents (issue 17's counting
// rule). Real nginx (nginx-light from PATH; .ci/run installs it), a real redis-server and
// 2 real agent processes (`startLocalCluster`, as `--cluster local` starts them), each
// stopped by its PID.

import { assert, assertEquals } from "@std/assert";
import { startLocalCluster } from "../../servers/_stress_cluster.ts";
import { runStress } from "../../servers/stress.ts";
import { startNginx } from "../../bench/_nginx.ts";

Deno.test("runStress() with cluster, -n 2000 over 2 agents: nginx's stub_status counts exactly 'requests'", async () => {
  const nginx = await startNginx();
  try {
    const cluster = await startLocalCluster(2);
    try {
      const before = await nginx.requests();
      const report = await runStress(
        { url: nginx.url, requests: 2_000, concurrency: 4, workers: 1 },
        { cluster: { redis: cluster.redis, agents: 2 } },
      );
      const after = await nginx.requests();
      assertEquals(report.clusterError, undefined);
      assertEquals(report.requests, 2_000);
      assertEquals(report.inFlight, 0);
      assertEquals(report.agents.map((a) => a.requests), [1_000, 1_000]);
      assert(report.agents.every((a) => !a.lost));
      // Between the two reads nginx served the run and the second read itself.
      assertEquals(after - before - 1, report.requests);
      assertEquals(report.statusCodes, { "200": 2_000 });
    } finally {
      await cluster.stop();
    }
  } finally {
    await nginx.stop();
  }
});
