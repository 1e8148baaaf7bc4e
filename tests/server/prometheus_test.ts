/**
 * `serve --metrics` scraped by a real Prometheus (Debian's `prometheus`)
 * through a 10,000-connection run: what Prometheus stored after the run
 * equals the server's summary line.
 */
import assert from "node:assert/strict";
import { cLoadClient } from "../c_load_client.ts";
import { ServerProcess } from "../sockdemo_process.ts";

const PROMETHEUS = "/usr/bin/prometheus";
const installed = (() => {
  try {
    return Deno.statSync(PROMETHEUS).isFile;
  } catch {
    return false;
  }
})();

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

// The value of instant query `query`, or null when it has no result yet.
async function query(api: string, query: string): Promise<number | null> {
  const r = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = await r.json();
  assert.equal(body.status, "success", JSON.stringify(body));
  const result = body.data.result as { value: [number, string] }[];
  return result.length === 0 ? null : Number(result[0].value[1]);
}

async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

Deno.test({
  name:
    "serve --metrics under 10,000 connections, scraped by Prometheus: its values equal the summary",
  ignore: !installed,
  async fn() {
    const server = await ServerProcess.start(["--metrics", "127.0.0.1:0", "--quiet"]);
    const dir = await Deno.makeTempDir();
    let prometheus: Deno.ChildProcess | null = null;
    try {
      const metrics = (await server.waitFor(/Metrics on http:\/\/(127\.0\.0\.1:\d+)\/metrics/))[1];
      await Deno.writeTextFile(
        `${dir}/prometheus.yml`,
        `global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n` +
          `  - job_name: sockdemo\n    static_configs:\n      - targets: ["${metrics}"]\n`,
      );
      const web = `127.0.0.1:${freePort()}`;
      prometheus = new Deno.Command(PROMETHEUS, {
        args: [
          `--config.file=${dir}/prometheus.yml`,
          `--storage.tsdb.path=${dir}/data`,
          `--web.listen-address=${web}`,
        ],
        stdout: "null",
        stderr: "null",
      }).spawn();
      const api = `http://${web}`;
      await until("prometheus scrapes sockdemo", 30_000, async () => {
        try {
          return (await query(api, 'up{job="sockdemo"}')) === 1;
        } catch {
          return false; // not listening yet
        }
      });

      // 10,000 connections x 10 round trips of 64 bytes, every byte checked.
      const figures = await cLoadClient([
        "echo",
        "127.0.0.1",
        `${server.port}`,
        "10000",
        "10",
        "64",
        "1",
        "60",
      ]);
      assert.equal(figures.errors, 0);
      // A scrape after the last connection closed.
      await until(
        "a scrape after the run",
        20_000,
        async () =>
          (await query(api, "sockdemo_connections_accepted_total")) === 10_000 &&
          (await query(api, "sockdemo_connections_open")) === 0,
      );
      const stored = {
        accepted: await query(api, "sockdemo_connections_accepted_total"),
        bytesIn: await query(api, "sockdemo_bytes_received_total"),
        bytesOut: await query(api, "sockdemo_bytes_sent_total"),
        errors: await query(api, "sum(sockdemo_connection_errors_total)"),
        refused: await query(api, "sockdemo_connections_refused_total"),
      };
      // While it ran, the gauge saw connections open: it moves live.
      const mostOpen = await query(api, "max_over_time(sockdemo_connections_open[5m])");
      assert.ok(mostOpen !== null && mostOpen > 0, `most open ${mostOpen}`);

      const out = await server.stop();
      assert.equal(out.code, 0);
      const summary =
        /Stopped: (\d+) connections served, (\d+) bytes in, (\d+) bytes out, (\d+) errors?\n/
          .exec(out.stdout);
      assert.ok(summary !== null, out.stdout);
      assert.deepEqual(stored, {
        accepted: Number(summary[1]),
        bytesIn: Number(summary[2]),
        bytesOut: Number(summary[3]),
        errors: Number(summary[4]),
        refused: 0,
      });
      // And both are what the load client sent: 10,000 x 10 x 64 bytes.
      assert.equal(stored.bytesIn, 6_400_000);
    } finally {
      prometheus?.kill("SIGKILL");
      await prometheus?.status;
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
