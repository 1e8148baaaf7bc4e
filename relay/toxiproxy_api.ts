/**
 * Toxiproxy's HTTP API, route for route, over a {@linkcode ProxyTable}:
 * the same paths, methods, JSON shapes, status codes and error body
 * (`{"error": "...", "status": N}`). Like Toxiproxy, it refuses requests
 * from browsers (a `User-Agent` starting `Mozilla/`), so no web page can
 * reconfigure the proxies of a machine it is opened on.
 *
 * @module
 */
import type { HttpRequest } from "../lib/http_codec.ts";
import { ApiError } from "./api_error.ts";
import type { Answer } from "../server/http_session.ts";
import type { ProxyTable } from "./proxy_table.ts";

/** The version `GET /version` reports: Toxiproxy's API, as served by sockdemo. */
export const API_VERSION = "2.12.0-sockdemo";

const ok = (value: unknown, status = 200): Answer => ({ status, body: JSON.stringify(value) });
const NO_CONTENT: Answer = { status: 204, body: null };

/**
 * Answers `request` from `table`.
 *
 * @example
 * ```ts
 * import { ProxyTable } from "./proxy_table.ts";
 * import { answerApi } from "./toxiproxy_api.ts";
 * declare const table: ProxyTable;
 * declare const request: import("../lib/http_codec.ts").HttpRequest;
 * const { status, body } = answerApi(table, request);
 * ```
 */
export function answerApi(table: ProxyTable, request: HttpRequest): Answer {
  if (request.headers.get("user-agent")?.startsWith("Mozilla/")) {
    return { status: 403, body: JSON.stringify({ error: "User agent not allowed", status: 403 }) };
  }
  try {
    return route(table, request.method, request.path.split("/").slice(1), request.body);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return { status: e.status, body: JSON.stringify(e) };
  }
}

function route(table: ProxyTable, method: string, path: string[], body: string): Answer {
  const [top, name, sub, toxic] = path;
  const allow = (...methods: string[]) => {
    if (!methods.includes(method)) throw new ApiError(405, `method not allowed: ${method}`);
  };
  if (path.length === 1 && top === "version") {
    allow("GET");
    return ok({ version: API_VERSION });
  }
  if (path.length === 1 && top === "reset") {
    allow("POST");
    table.reset();
    return NO_CONTENT;
  }
  if (path.length === 1 && top === "populate") {
    allow("POST");
    return ok({ proxies: table.populate(body) }, 201);
  }
  if (top === "proxies" && path.length === 1) {
    allow("GET", "POST");
    return method === "GET" ? ok(table.list()) : ok(table.create(body), 201);
  }
  if (top === "proxies" && path.length === 2) {
    allow("GET", "POST", "PATCH", "DELETE");
    if (method === "GET") return ok(table.get(name));
    if (method === "DELETE") return (table.remove(name), NO_CONTENT);
    return ok(table.update(name, body));
  }
  if (top === "proxies" && sub === "toxics" && path.length === 3) {
    allow("GET", "POST");
    return method === "GET" ? ok(table.toxics(name)) : ok(table.addToxic(name, body));
  }
  if (top === "proxies" && sub === "toxics" && path.length === 4) {
    allow("GET", "POST", "PATCH", "DELETE");
    if (method === "GET") return ok(table.toxic(name, toxic));
    if (method === "DELETE") return (table.removeToxic(name, toxic), NO_CONTENT);
    return ok(table.updateToxic(name, toxic, body));
  }
  throw ApiError.notFound(`no such route: ${method} /${path.join("/")}`);
}
