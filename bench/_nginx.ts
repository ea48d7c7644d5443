// Copyright 2026 the Tandem authors. MIT license.

/**
 * A private nginx (Debian's `nginx-light` from PATH) on a free loopback port, in a
 * temporary directory, stopped by its PID: the counting target of the stress benches
 * and of the distributed counting test.
 *
 * @module
 */

/** A running nginx. */
export interface Nginx {
  /** The target, `http://127.0.0.1:PORT/`, answering 200 with the body. */
  url: string;
  /** nginx's temporary prefix directory (config, logs). */
  dir: string;
  /** nginx's `requests` counter from `stub_status` (this read counts itself). */
  requests(): Promise<number>;
  /** Stops nginx gracefully (SIGQUIT to the master's PID) and removes its directory. */
  stop(): Promise<void>;
}

/** How to start nginx. */
export interface NginxOptions {
  /** The body every request gets. @default {"ok\n"} */
  body?: string;
  /** `worker_connections`. @default {4096} */
  workerConnections?: number;
  /** More `log_format`/`server` lines for the `http` block, given nginx's directory. */
  extraHttp?: (dir: string) => string;
}

/** A loopback port that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** The `return` directive that answers 200 with `body`. */
export function nginxReturn(body: string): string {
  return `default_type text/plain; return 200 "${body.replaceAll("\n", "\\n")}";`;
}

/** Starts nginx and resolves once it listens (its pid file is written after it binds). */
export async function startNginx(options: NginxOptions = {}): Promise<Nginx> {
  const dir = await Deno.makeTempDir({ prefix: "tandem-nginx-" });
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/nginx.conf`,
    `worker_processes 1;
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${options.workerConnections ?? 4096}; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${options.extraHttp?.(dir) ?? ""}
  server {
    listen 127.0.0.1:${port};
    location = /nginx_status { stub_status; }
    location / { ${nginxReturn(options.body ?? "ok\n")} }
  }
}
`,
  );
  // nginx writes its pid file after it listens (ngx_init_cycle, then ngx_create_pidfile):
  // its creation is the ready event, so nothing polls.
  const watcher = Deno.watchFs(dir);
  const child = new Deno.Command("nginx", {
    args: ["-p", dir, "-c", `${dir}/nginx.conf`, "-e", `${dir}/error.log`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGQUIT");
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
  const ready = await Promise.race([listening, child.status.then(() => false)]);
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
    dir,
    async requests() {
      const text = await (await fetch(`${url}nginx_status`)).text();
      // "Active connections: N\nserver accepts handled requests\n A H R\n…"
      return Number(text.split("\n")[2].trim().split(/\s+/)[2]);
    },
    stop,
  };
}
