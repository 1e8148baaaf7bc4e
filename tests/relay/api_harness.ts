/**
 * A relay API in-process, for the API tests: an echo server to proxy to,
 * and a server answering Toxiproxy's API on 127.0.0.1 with its proxies on
 * the same loop.
 */
import { localName } from "../../lib/address.ts";
import { listenTcp } from "../../lib/transports.ts";
import { EchoSession } from "../../server/echo.ts";
import { Server } from "../../server/server.ts";
import { HttpSession } from "../../server/http_session.ts";
import { ServerProxyHost } from "../../relay/proxy_host.ts";
import { ProxyTable } from "../../relay/proxy_table.ts";
import { answerApi } from "../../relay/toxiproxy_api.ts";
import type { LogFormat } from "../../lib/log.ts";
import { captureLog } from "../harness.ts";

const LOOPBACK = { transport: "tcp", host: "127.0.0.1", port: 0 } as const;

/** The API's base URL, the echo server's address, the table, the log's lines, and a stop that ends both. */
export interface ApiRun {
  readonly url: string;
  readonly echo: string;
  readonly table: ProxyTable;
  readonly out: string[];
  /** Its error lines. */
  readonly err: string[];
  stop(): Promise<void>;
}

function listening(): Deno.Listener[] {
  const listeners = listenTcp(LOOPBACK);
  if ("reason" in listeners) throw new Error(listeners.reason);
  return listeners;
}

/** Starts an echo server and a relay API (dials to an upstream give up after `connectTimeout` s); `stop()` them when done. */
export function startApi(seed = 1, connectTimeout = 5, format: LogFormat = "text"): ApiRun {
  const { log, out, err } = captureLog("normal", format);
  const echoListeners = listening();
  const echo = new Server(echoListeners, {
    log: captureLog().log,
    newSession: () => new EchoSession(),
  });
  const host = new ServerProxyHost({ connectTimeout, seed, log });
  const table = new ProxyTable(host);
  const apiListeners = listening();
  const api = new Server(apiListeners, {
    log,
    newSession: () => new HttpSession((request) => answerApi(table, request)),
  });
  host.server = api;
  const running = [echo.run(), api.run()];
  return {
    url: `http://${localName(apiListeners[0].addr)}`,
    echo: localName(echoListeners[0].addr),
    table,
    out,
    err,
    async stop() {
      for (const s of [echo, api]) {
        s.stop();
        s.stop();
      }
      await Promise.all(running);
    },
  };
}
