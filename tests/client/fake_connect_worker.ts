/**
 * A stand-in for `client/connect_worker.ts` that makes no connection: what it
 * posts back is chosen by the host of `config.address`, so the coordinator's merging,
 * failure reporting and progress can be checked exactly.
 *
 * - `shares`: `connected` encodes the share (first * 100 + count), 3 messages each.
 * - `fail`: worker 2's clients failed (2 errors), worker 1's did not.
 * - `die`: worker 2 throws.
 * - `progress`: each worker counts 7 messages done, then waits 700 ms.
 * - `intervals`: worker 1 posts the intervals of seconds 0 and 1, worker 2
 *   of 0.5 to 1, 1 to 2 and 2 to 2.5, one message each of `100 * index` µs.
 */
import { makeReport } from "../../client/report.ts";
import type { ConnectWorkerOut, ConnectWorkerStart } from "../../client/connect_worker.ts";
import { intervalReport } from "../../client/intervals.ts";
import { Histogram } from "../../lib/histogram.ts";
import { PoolWorker } from "../../lib/pool_worker.ts";

const T = 1_790_000_000_000;

new PoolWorker<ConnectWorkerStart, ConnectWorkerOut>(async (start, worker) => {
  const { config, share, progress, index } = start;
  const mode = config.address.transport === "tcp" ? config.address.host : "";
  if (mode === "die" && index === 2) throw new Error("worker trouble");
  if (mode === "progress") {
    progress[index - 1] = 7;
    await new Promise((r) => setTimeout(r, 700));
  }
  if (mode === "intervals") {
    const spans = index === 1
      ? [[0, 1000], [1000, 2000]]
      : [[500, 1000], [1000, 2000], [2000, 2500]];
    for (const [from, to] of spans) {
      const h = new Histogram();
      h.record(100 * index);
      const counts = { messages: 1, sent: 10, received: 10 };
      worker.post({
        interval: intervalReport(T + from, T + to, (to - from) / 1000, counts, 0, 5, h),
      });
    }
  }
  const latency = new Histogram();
  for (let i = 0; i < 3; i++) latency.record(100 * index);
  const errors = mode === "fail" && index === 2 ? 2 : 0;
  const report = makeReport(
    {
      conns: share.count,
      messages: 3,
      bytes_sent: 30,
      bytes_received: 30,
      errors,
      started_at: 1_790_000_000_000,
      ended_at: 1_790_000_001_000,
    },
    1,
    latency,
  );
  worker.post({
    report,
    connected: share.first * 100 + share.count,
    firstFailure: errors > 0 ? `127.0.0.1:9: connection ${share.first + 1}: boom` : null,
  });
  worker.close();
});
