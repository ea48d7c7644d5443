// Distributed stress against a target that counts requests: nginx's `stub_status` agrees
// exactly with the merged `requests` of an `-n` run over 2 agents (issue 17's counting
// rule). Real nginx (nginx-light from PATH; .ci/run installs it), a real redis-server and
// 2 real agent processes (`startLocalCluster`, as `--cluster local` starts them), each
// stopped by its PID.

import { assert, assertEquals } from "@std/assert";
import { startLocalCluster } from "../../servers/_stress_cluster.ts";
import { runStress } from "../../servers/stress.ts";

interface Nginx {
  url: string;
  /** nginx's `requests` counter (this read counts itself). */
  requests(): Promise<number>;
  stop(): Promise<void>;
}

async function startNginx(): Promise<Nginx> {
  const dir = await Deno.makeTempDir({ prefix: "tandem-nginx-" });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await Deno.writeTextFile(
    `${dir}/nginx.conf`,
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location = /nginx_status { stub_status; }
    location / { default_type text/plain; return 200 "ok\\n"; }
  }
}
`,
  );
  // nginx writes its pid file after it listens (ngx_init_cycle, then ngx_create_pidfile):
  // its creation is the ready event.
  const watcher = Deno.watchFs(dir);
  const child = new Deno.Command("nginx", {
    args: ["-p", dir, "-c", `${dir}/nginx.conf`, "-e", `${dir}/error.log`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGQUIT"); // nginx's graceful stop, to the master's PID
    } catch {
      // already gone
    }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  };
  const listening = (async () => {
    for await (const event of watcher) {
      if (event.paths.some((path) => path.endsWith("/nginx.pid"))) return true;
    }
    return false;
  })();
  const exited = child.status.then(() => false);
  const ready = await Promise.race([listening, exited]);
  watcher.close();
  await listening;
  if (!ready) {
    const log = await Deno.readTextFile(`${dir}/error.log`).catch(() => "");
    await stop();
    throw new Error(`Cannot start nginx: ${log}`);
  }
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    async requests(): Promise<number> {
      const text = await (await fetch(`${url}nginx_status`)).text();
      // "Active connections: 1\nserver accepts handled requests\n A H R\n…"
      return Number(text.split("\n")[2].trim().split(/\s+/)[2]);
    },
    stop,
  };
}

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
