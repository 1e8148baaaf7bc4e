/**
 * The relay's proxies as Toxiproxy's API sees them: each a name, a listen
 * address, an upstream, whether it is enabled, and its toxics. Every change
 * is checked whole before anything is done, then made through a
 * {@linkcode ProxyHost}, which listens and relays, and tells the open
 * connections when their toxics change.
 *
 * @module
 */
import { addressName, parseAddress, type TcpAddress } from "../lib/address.ts";
import { ApiError } from "./api_error.ts";
import { jsonObject, onlyFields, parseToxic, type ToxicSpec, updateToxic } from "./toxic_spec.ts";

/** A proxy that is listening: where it is bound, and how it is stopped or told of changes. */
export interface Opened {
  /** The address bound (a port of 0 comes back with the port chosen). */
  readonly address: string;
  /** Stops listening; with a `cut` reason, closes its connections too. */
  close(cut: string | null): void;
  /** Its toxics changed: the open connections take them up. */
  refresh(): void;
}

/** What listens and relays for the table. */
export interface ProxyHost {
  /**
   * Starts `proxy` listening, its connections faulted by `toxics` (the
   * proxy's as they are at each call); throws an {@linkcode ApiError} when it cannot.
   */
  open(proxy: Proxy, toxics: () => readonly ToxicSpec[]): Opened;
}

/** One proxy. */
export interface Proxy {
  readonly name: string;
  /** The listen address as given. */
  readonly listen: TcpAddress;
  readonly upstream: TcpAddress;
  readonly enabled: boolean;
  /** Its toxics, in the order they were added. */
  readonly toxics: readonly ToxicSpec[];
  /** While enabled: its listener. */
  readonly opened: Opened | null;
}

/** A proxy as the API shows it. */
export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicSpec[];
}

const PROXY_FIELDS = ["name", "listen", "upstream", "enabled"];

/**
 * The proxies by name.
 *
 * @example
 * ```ts
 * import { ProxyTable } from "./proxy_table.ts";
 * declare const host: import("./proxy_table.ts").ProxyHost;
 * const table = new ProxyTable(host);
 * table.create('{"name":"redis","listen":"127.0.0.1:26379","upstream":"127.0.0.1:6379"}');
 * table.addToxic("redis", '{"type":"latency","attributes":{"latency":100}}');
 * ```
 */
export class ProxyTable {
  readonly #proxies = new Map<string, Proxy>();

  /** A table whose proxies `host` runs. */
  constructor(readonly host: ProxyHost) {}

  /** Every proxy, by name. */
  list(): Record<string, ProxyJson> {
    const out: Record<string, ProxyJson> = {};
    for (const proxy of this.#proxies.values()) out[proxy.name] = show(proxy);
    return out;
  }

  /** `GET /proxies/{name}`. */
  get(name: string): ProxyJson {
    return show(this.#find(name));
  }

  /** Creates the proxy `body` describes (`POST /proxies`); 409 when its name is taken. */
  create(body: string): ProxyJson {
    const spec = proxySpec(jsonObject(body, "proxy"));
    if (this.#proxies.has(spec.name)) throw ApiError.conflict("proxy already exists");
    return show(this.#put({ ...spec, toxics: [], opened: null }));
  }

  /**
   * Creates or replaces each proxy of a JSON array (`POST /populate`): one
   * whose name exists is updated, restarted if its addresses changed. All
   * are checked before any is made.
   */
  populate(body: string): ProxyJson[] {
    let list: unknown;
    try {
      list = JSON.parse(body);
    } catch (e) {
      throw ApiError.badRequest(`bad request body: ${(e as Error).message}`);
    }
    if (!Array.isArray(list)) {
      throw ApiError.badRequest("bad request body: populate takes a JSON array of proxies");
    }
    const specs = list.map((item, i) => {
      if (typeof item !== "object" || item === null || Array.isArray(item)) {
        throw ApiError.badRequest(`bad request body: proxy ${i + 1} is not a JSON object`);
      }
      return proxySpec(item as Record<string, unknown>);
    });
    return specs.map((spec) => {
      const old = this.#proxies.get(spec.name);
      return show(this.#put({ ...spec, toxics: old?.toxics ?? [], opened: null }, old));
    });
  }

  /** Changes a proxy's fields (`PATCH /proxies/{name}`); others keep their values. */
  update(name: string, body: string): ProxyJson {
    const old = this.#find(name);
    const input = jsonObject(body, "proxy");
    const spec = proxySpec({
      name,
      listen: addressName(old.listen),
      upstream: addressName(old.upstream),
      enabled: old.enabled,
      ...input,
    });
    if (spec.name !== name) throw ApiError.badRequest(`a proxy's name cannot change (${name})`);
    return show(this.#put({ ...spec, toxics: old.toxics, opened: null }, old));
  }

  /** Deletes a proxy, closing its listener and its connections. */
  remove(name: string): void {
    this.#find(name).opened?.close("the proxy was deleted");
    this.#proxies.delete(name);
  }

  /** Every proxy enabled, every toxic removed (`POST /reset`). */
  reset(): void {
    for (const proxy of [...this.#proxies.values()]) {
      this.#put({ ...proxy, toxics: [], enabled: true, opened: null }, proxy);
    }
  }

  /** A proxy's toxics. */
  toxics(name: string): ToxicSpec[] {
    return [...this.#find(name).toxics];
  }

  /** One toxic of a proxy. */
  toxic(name: string, toxic: string): ToxicSpec {
    return this.#findToxic(this.#find(name), toxic);
  }

  /** Adds the toxic `body` describes to a proxy, live; 409 when the name is taken. */
  addToxic(name: string, body: string): ToxicSpec {
    const proxy = this.#find(name), toxic = parseToxic(body);
    if (proxy.toxics.some((t) => t.name === toxic.name)) {
      throw ApiError.conflict("toxic already exists");
    }
    this.#retoxic({ ...proxy, toxics: [...proxy.toxics, toxic] });
    return toxic;
  }

  /** Changes a toxic's toxicity or attributes, live. */
  updateToxic(name: string, toxic: string, body: string): ToxicSpec {
    const proxy = this.#find(name), updated = updateToxic(this.#findToxic(proxy, toxic), body);
    this.#retoxic({ ...proxy, toxics: proxy.toxics.map((t) => t.name === toxic ? updated : t) });
    return updated;
  }

  /** Removes a toxic, live. */
  removeToxic(name: string, toxic: string): void {
    const proxy = this.#find(name);
    this.#findToxic(proxy, toxic);
    this.#retoxic({ ...proxy, toxics: proxy.toxics.filter((t) => t.name !== toxic) });
  }

  /** Gives proxy `name` toxics made by sockdemo itself (the command line's faults), unchecked. */
  seed(name: string, toxics: readonly ToxicSpec[]): void {
    const proxy = this.#find(name);
    this.#retoxic({ ...proxy, toxics: [...proxy.toxics, ...toxics] });
  }

  /** The proxy named `name`, as its connections see it now (its toxics included). */
  proxy(name: string): Proxy | undefined {
    return this.#proxies.get(name);
  }

  #find(name: string): Proxy {
    const proxy = this.#proxies.get(name);
    if (proxy === undefined) throw ApiError.notFound("proxy not found");
    return proxy;
  }

  #findToxic(proxy: Proxy, name: string): ToxicSpec {
    const toxic = proxy.toxics.find((t) => t.name === name);
    if (toxic === undefined) throw ApiError.notFound("toxic not found");
    return toxic;
  }

  // Puts `next` in place of `old` (if any): restarted where an address or the switch changed.
  #put(next: Proxy, old?: Proxy): Proxy {
    const same = old !== undefined && old.enabled === next.enabled &&
      addressName(old.listen) === addressName(next.listen) &&
      addressName(old.upstream) === addressName(next.upstream);
    if (same) return this.#retoxic({ ...next, opened: old.opened });
    old?.opened?.close(next.enabled ? "the proxy was restarted" : "the proxy was disabled");
    let placed: Proxy = { ...next, opened: null };
    this.#proxies.set(next.name, placed);
    if (next.enabled) {
      // Its sessions find its toxics by name: placed before it opens, so its first connection sees them.
      const toxics = () => this.#proxies.get(next.name)?.toxics ?? [];
      placed = { ...placed, opened: this.host.open(placed, toxics) };
      this.#proxies.set(next.name, placed);
    }
    return placed;
  }

  // Replaces a proxy whose toxics changed, and tells its connections.
  #retoxic(next: Proxy): Proxy {
    this.#proxies.set(next.name, next);
    next.opened?.refresh();
    return next;
  }
}

function show(proxy: Proxy): ProxyJson {
  return {
    name: proxy.name,
    listen: proxy.opened?.address ?? addressName(proxy.listen),
    upstream: addressName(proxy.upstream),
    enabled: proxy.enabled,
    toxics: [...proxy.toxics],
  };
}

// A proxy's own fields from `input`, checked.
function proxySpec(input: Record<string, unknown>) {
  onlyFields(input, [...PROXY_FIELDS, "toxics"], "a proxy");
  const name = input.name;
  if (typeof name !== "string" || name === "") {
    throw ApiError.badRequest("missing required field: name");
  }
  if (name.includes("/")) throw ApiError.badRequest(`a proxy's name cannot hold "/": ${name}`);
  if (input.upstream === undefined || input.upstream === "") {
    throw ApiError.badRequest("missing required field: upstream");
  }
  const toxics = input.toxics;
  if (toxics !== undefined && !(Array.isArray(toxics) && toxics.length === 0)) {
    throw ApiError.badRequest("toxics are added one by one: POST /proxies/{name}/toxics");
  }
  const enabled = input.enabled ?? true;
  if (typeof enabled !== "boolean") throw ApiError.badRequest("enabled must be true or false");
  return {
    name,
    listen: tcpAddress("listen", input.listen ?? "127.0.0.1:0", true),
    upstream: tcpAddress("upstream", input.upstream, false),
    enabled,
  };
}

function tcpAddress(field: string, value: unknown, anyPort: boolean): TcpAddress {
  if (typeof value !== "string") throw ApiError.badRequest(`${field} must be a string HOST:PORT`);
  try {
    const address = parseAddress(value, { host: "127.0.0.1", anyPort });
    if (address.transport === "tcp") return address;
  } catch {
    // parseAddress throws only a BadAddress: the message below says what is wanted.
  }
  throw ApiError.badRequest(`${field} must be HOST:PORT, not ${JSON.stringify(value)}`);
}
