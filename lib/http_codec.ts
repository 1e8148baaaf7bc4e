/**
 * Just enough HTTP/1.1 for a JSON API on the readiness loop: requests with
 * a `Content-Length` body (or none), taken in whatever pieces reads return
 * them, each bounded; responses written whole. Keep-alive is the default,
 * as in HTTP/1.1; `Connection: close` or HTTP/1.0 ends the connection after
 * the answer.
 *
 * @example
 * ```ts
 * import { encodeResponse, HttpDecoder } from "./http_codec.ts";
 * const wire = new TextEncoder().encode("GET /version HTTP/1.1\r\nHost: x\r\n\r\n");
 * const decoder = new HttpDecoder();
 * decoder.feed(wire, 0, wire.length);
 * console.log(decoder.request?.method, decoder.request?.path); // GET /version
 * const answer = encodeResponse(200, '{"version":"1"}', true);
 * ```
 *
 * @module
 */

/** One request, as read. */
export interface HttpRequest {
  /** `GET`, `POST`... as sent (methods are case-sensitive). */
  readonly method: string;
  /** The path, without the query string, percent-decoded. */
  readonly path: string;
  /** Header fields, names in lower case; a repeated field keeps its last value. */
  readonly headers: ReadonlyMap<string, string>;
  /** The body's text (UTF-8); empty when there is none. */
  readonly body: string;
  /** False when the client asked to close after this answer. */
  readonly keepAlive: boolean;
}

/** Why a request cannot be read: the status to answer with, and the reason. */
export interface HttpError {
  readonly status: 400 | 411 | 413 | 431 | 501 | 505;
  readonly reason: string;
}

/** Bounds on what one request may hold. */
export interface HttpLimits {
  /** Bytes of request line and headers together (default 16 KiB). */
  readonly maxHead: number;
  /** Bytes of body (default 1 MiB). */
  readonly maxBody: number;
}

const DEFAULT_LIMITS: HttpLimits = { maxHead: 16 << 10, maxBody: 1 << 20 };
const CR = 13, LF = 10;
const text = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads requests from the bytes fed to it. After `feed`, `request` is a
 * whole request (take it with `next()` before feeding more) or `error` says
 * why none can be read; the connection should answer and close then.
 */
export class HttpDecoder {
  /** The request read, until `next()`. */
  request: HttpRequest | null = null;
  /** Set once the bytes cannot be a request; nothing more is read. */
  error: HttpError | null = null;
  readonly #limits: HttpLimits;
  #buf = new Uint8Array(1024);
  #length = 0;
  // Set once the head is read: the request but for its body, and the body's size.
  #head: Omit<HttpRequest, "body"> | null = null;
  #bodySize = 0;
  // How far the search for the head's end has looked, so a head fed a byte at a time costs O(n).
  #scanned = 3;

  /** A decoder within `limits`. */
  constructor(limits: Partial<HttpLimits> = {}) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Takes `bytes[from..to)`; returns where it stopped (short of `to` once a request or an error is ready). */
  feed(bytes: Uint8Array, from: number, to: number): number {
    let at = from;
    while (at < to && this.request === null && this.error === null) {
      const want = this.#head === null ? to - at : Math.min(to - at, this.#bodySize - this.#length);
      this.#append(bytes.subarray(at, at + want));
      at += want;
      if (this.#head === null) {
        const end = this.#headEnd();
        if (end === -1) {
          if (this.#length > this.#limits.maxHead) this.#fail(431, "request head too large");
          continue;
        }
        // Bytes past the head were taken too: give them back to the caller.
        const extra = this.#length - end;
        at -= extra;
        this.#length = end;
        this.#parseHead();
        this.#length = 0;
      }
      if (this.#head !== null && this.#length === this.#bodySize) this.#finish();
    }
    return at;
  }

  /** True between requests: nothing of the next one read yet. */
  get idle(): boolean {
    return this.request === null && this.#head === null && this.#length === 0;
  }

  /** Done with `request`: the decoder reads the next one. */
  next(): void {
    this.request = null;
  }

  #append(piece: Uint8Array): void {
    const need = this.#length + piece.length;
    // Stryker disable next-line EqualityOperator: growing a byte early changes nothing read
    if (need > this.#buf.length) {
      // Stryker disable next-line ArithmeticOperator: growing by less only costs more copies
      const grown = new Uint8Array(Math.max(need, this.#buf.length * 2));
      grown.set(this.#buf.subarray(0, this.#length));
      this.#buf = grown;
    }
    this.#buf.set(piece, this.#length);
    this.#length = need;
  }

  // Where the head ends (just past its blank line), or -1 if it has not yet.
  #headEnd(): number {
    const buf = this.#buf;
    for (let i = this.#scanned; i < this.#length; i++) {
      if (buf[i] === LF && buf[i - 1] === CR && buf[i - 2] === LF && buf[i - 3] === CR) {
        this.#scanned = 3;
        return i + 1;
      }
    }
    // Stryker disable next-line MethodExpression: starting again from the top finds the same end, only slower
    this.#scanned = Math.max(3, this.#length);
    return -1;
  }

  #parseHead(): void {
    if (this.#length > this.#limits.maxHead) return this.#fail(431, "request head too large");
    let head: string;
    try {
      head = text.decode(this.#buf.subarray(0, this.#length - 4));
    } catch {
      return this.#fail(400, "request head is not UTF-8");
    }
    const lines = head.split("\r\n");
    const parts = lines[0].split(" ");
    if (parts.length !== 3 || parts[0] === "" || !parts[1].startsWith("/")) {
      return this.#fail(400, `bad request line: ${JSON.stringify(lines[0].slice(0, 80))}`);
    }
    const [method, target, version] = parts;
    if (version !== "HTTP/1.1" && version !== "HTTP/1.0") {
      return this.#fail(505, `HTTP version not supported: ${version.slice(0, 20)}`);
    }
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0) {
        return this.#fail(400, `bad header line: ${JSON.stringify(line.slice(0, 80))}`);
      }
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    if (headers.has("transfer-encoding")) {
      return this.#fail(501, "Transfer-Encoding is not supported: send Content-Length");
    }
    const length = headers.get("content-length") ?? "0";
    if (!/^\d{1,15}$/.test(length)) {
      return this.#fail(400, `bad Content-Length: ${length.slice(0, 20)}`);
    }
    const size = Number(length);
    if (size > this.#limits.maxBody) {
      return this.#fail(413, `body of ${size} bytes is over ${this.#limits.maxBody}`);
    }
    let path: string;
    try {
      path = decodeURIComponent(target.split("?")[0]);
    } catch {
      return this.#fail(400, `bad path: ${target.slice(0, 80)}`);
    }
    const connection = headers.get("connection")?.toLowerCase();
    const keepAlive = version === "HTTP/1.1" ? connection !== "close" : connection === "keep-alive";
    this.#head = { method, path, headers, keepAlive };
    this.#bodySize = size;
  }

  #finish(): void {
    let body: string;
    try {
      body = text.decode(this.#buf.subarray(0, this.#length));
    } catch {
      return this.#fail(400, "body is not UTF-8");
    }
    this.request = { ...this.#head!, body };
    this.#head = null;
    this.#length = 0;
    this.#bodySize = 0;
  }

  #fail(status: HttpError["status"], reason: string): void {
    this.error = { status, reason };
  }
}

const REASONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  411: "Length Required",
  413: "Content Too Large",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};

const encoder = new TextEncoder();

/**
 * A whole response: `body` is text of content `type` (JSON by default), or
 * null for none; `keepAlive` false adds `Connection: close`.
 */
export function encodeResponse(
  status: number,
  body: string | null,
  keepAlive: boolean,
  type = "application/json",
): Uint8Array {
  const content = body === null ? new Uint8Array(0) : encoder.encode(body);
  const head = body === null ? "" : `Content-Type: ${type}\r\n`;
  // A 204 has no body, and says nothing of its length (RFC 9110, 8.6).
  const length = status === 204 ? "" : `Content-Length: ${content.length}\r\n`;
  const close = keepAlive ? "" : "Connection: close\r\n";
  const top = `HTTP/1.1 ${status} ${REASONS[status] ?? "Unknown"}\r\n${head}${length}${close}\r\n`;
  const out = new Uint8Array(top.length + content.length);
  encoder.encodeInto(top, out);
  out.set(content, top.length);
  return out;
}
