/**
 * The app protocol's framing (`../shared/PROTOCOL.md`): a 2-byte big-endian
 * length, a UTF-8 JSON header of that length, then `content-length` bytes of
 * content. {@linkcode FrameDecoder} takes bytes in whatever pieces reads
 * return them; {@linkcode encodeFrame} writes a message into a queue.
 *
 * @example Decode a message that arrives in two pieces
 * ```ts
 * import { ByteQueue } from "./byte_queue.ts";
 * import { encodeFrame, FrameDecoder } from "./frame.ts";
 * const out = new ByteQueue();
 * encodeFrame(out, "text/json", "utf-8", new TextEncoder().encode('{"action":"search","value":"ring"}'));
 * const wire = out.peek();
 * const decoder = new FrameDecoder(1 << 20);
 * let at = decoder.feed(wire, 0, 5); // half a header: nothing yet
 * at = decoder.feed(wire, at, wire.length);
 * console.log(decoder.message?.json); // { action: "search", value: "ring" }
 * ```
 *
 * @module
 */
import { ByteQueue } from "./byte_queue.ts";

/** The four header fields every message carries, and whatever else the sender added. */
export interface FrameHeader {
  /** The sender's byte order (informational). */
  readonly byteorder: "little" | "big";
  /** `text/json`, or any binary type. */
  readonly "content-type": string;
  /** `utf-8` for `text/json`; `binary` for binary types. */
  readonly "content-encoding": string;
  /** Size of the content in bytes. */
  readonly "content-length": number;
  readonly [field: string]: unknown;
}

/** One decoded message. */
export interface Frame {
  /** The JSON header, checked. */
  readonly header: FrameHeader;
  /**
   * The content, or as much of its start as the decoder's `keep` asked for;
   * it may view the bytes last fed, so use it before the next `feed()`.
   */
  readonly content: Uint8Array;
  /** For `text/json`, the content parsed (always an object); null for binary types. */
  readonly json: Record<string, unknown> | null;
}

/** What was wrong with a message; framing cannot be trusted after one. */
export type FrameErrorKind =
  | "header-utf8"
  | "header-json"
  | "header-not-object"
  | "missing-field"
  | "field-type"
  | "too-large"
  | "text-encoding"
  | "content-utf8"
  | "content-json"
  | "content-not-object";

/** A typed decoding error with a one-line reason for the `{"error": ...}` response. */
export interface FrameError {
  /** Which rule was broken. */
  readonly kind: FrameErrorKind;
  /** A one-line reason naming the field or value. */
  readonly reason: string;
}

/** Which part of a message the decoder is waiting for. */
export type FramePart = "proto-header" | "json-header" | "content";

/**
 * An incremental decoder. Feed it the bytes of each read; after each
 * `feed()`, `message` holds a message that just completed, or `error` the
 * reason the stream can no longer be decoded. It never throws on input and
 * never buffers more than the part it is waiting for: a `content-length`
 * above the limit is an error before any content is taken.
 */
export class FrameDecoder {
  /** The message completed by the last `feed()`, or null. */
  message: Frame | null = null;
  /** Set for good once the input broke a rule. */
  error: FrameError | null = null;
  readonly #maxContent: number;
  #part: FramePart = "proto-header";
  #need = 2; // bytes still missing from the current part
  #skip = 0; // content bytes to pass over once the kept ones are in
  readonly #keep: (header: FrameHeader) => number;
  #header: FrameHeader | null = null;
  // Bytes of the current part when it spans reads, in pooled chunks that come as
  // bytes do: a declared length costs nothing until its bytes arrive. Unused
  // when a part arrives whole.
  #pieces: ByteQueue | null = null;

  /**
   * A decoder refusing content longer than `maxContent` bytes. `keep` says how
   * much of a message's content to hold (all of it by default); the rest is
   * read past unheld, so content nobody needs costs no memory.
   */
  constructor(maxContent: number, keep: (header: FrameHeader) => number = keepAll) {
    this.#maxContent = maxContent;
    this.#keep = keep;
  }

  /** The part being waited for. */
  get part(): FramePart {
    return this.#part;
  }

  /** True once some of a message has come and the rest has not: a request is waiting. */
  get started(): boolean {
    return this.#part !== "proto-header" || this.#need < 2;
  }

  /** Memory held for a part that spans reads (a request's content so far). */
  get buffered(): number {
    return this.#pieces === null ? 0 : this.#pieces.capacity;
  }

  /**
   * Decodes from `buf[start..end)` and returns the index where it stopped:
   * just past a completed message, at an error, or at `end`.
   */
  feed(buf: Uint8Array, start: number, end: number): number {
    this.message = null;
    let at = start;
    while (this.error === null && this.message === null) {
      // A part with nothing left to read completes even with no input left,
      // which is how a message with empty content ends.
      if (this.#need > 0) {
        // Stryker disable next-line ConditionalExpression,EqualityOperator: without it an empty piece is copied, to the same effect
        if (at >= end) break;
        const n = Math.min(this.#need, end - at);
        // A part that arrived whole is used in place; the copy below does the same, slower.
        // Not content with more to pass over: its message completes at a later read.
        // (Never in place, mutant "false", is the same bytes, slower.)
        // Stryker disable next-line BlockStatement: a copy saved, the same bytes
        if (this.#skip === 0) {
          // Stryker disable next-line ConditionalExpression,BlockStatement,LogicalOperator,EqualityOperator: a copy saved, the same bytes
          if ((this.#pieces === null || this.#pieces.length === 0) && n === this.#need) {
            this.#complete(buf.subarray(at, at + n));
            at += n;
            continue;
          }
        }
        (this.#pieces ??= new ByteQueue()).push(buf, at, at + n);
        this.#need -= n;
        at += n;
        if (this.#need > 0) break;
      }
      const skipped = Math.min(this.#skip, end - at);
      this.#skip -= skipped;
      at += skipped;
      if (this.#skip > 0) break;
      this.#complete(this.#pieces === null ? EMPTY : this.#pieces.takeAll());
    }
    return at;
  }

  // `bytes` is the whole of the current part.
  #complete(bytes: Uint8Array): void {
    switch (this.#part) {
      case "proto-header":
        this.#expect("json-header", (bytes[0] << 8) | bytes[1]);
        return;
      case "json-header": {
        const header = parseHeader(bytes, this.#maxContent);
        if (header instanceof Failure) {
          this.error = header;
          return;
        }
        this.#header = header;
        const length = header["content-length"];
        const kept = Math.min(length, this.#keep(header));
        this.#expect("content", kept);
        this.#skip = length - kept;
        return;
      }
      case "content": {
        const header = this.#header!;
        let json: Record<string, unknown> | null = null;
        if (header["content-type"] === "text/json") {
          const parsed = parseContent(bytes);
          if (parsed instanceof Failure) {
            this.error = parsed;
            return;
          }
          json = parsed;
        }
        this.message = { header, content: bytes, json };
        this.#header = null;
        this.#expect("proto-header", 2);
        return;
      }
    }
  }

  /** Lets go of a part held so far, for a stream that will not be decoded any further. */
  drop(): void {
    this.#pieces?.clear();
  }

  #expect(part: FramePart, bytes: number): void {
    this.#part = part;
    this.#need = bytes;
  }
}

/**
 * Appends one message to `out`: the 2-byte length, a JSON header with the
 * four fields in the guide's order, then `content`.
 */
export function encodeFrame(
  out: ByteQueue,
  contentType: string,
  contentEncoding: string,
  content: Uint8Array,
): void {
  const header = encodeHeader(contentType, contentEncoding, content.length);
  LENGTH[0] = header.length >> 8;
  LENGTH[1] = header.length & 0xff;
  out.push(LENGTH);
  out.push(header);
  out.push(content);
}

/** One whole message in a new array, for a request that is sent many times over. */
export function frameBytes(
  contentType: string,
  contentEncoding: string,
  content: Uint8Array,
): Uint8Array {
  const header = encodeHeader(contentType, contentEncoding, content.length);
  const out = new Uint8Array(2 + header.length + content.length);
  out[0] = header.length >> 8;
  out[1] = header.length & 0xff;
  out.set(header, 2);
  out.set(content, 2 + header.length);
  return out;
}

function encodeHeader(contentType: string, contentEncoding: string, length: number): Uint8Array {
  return ENCODER.encode(JSON.stringify({
    byteorder: BYTEORDER,
    "content-type": contentType,
    "content-encoding": contentEncoding,
    "content-length": length,
  }));
}

const EMPTY = new Uint8Array(0);

const ENCODER = new TextEncoder();
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const LENGTH = new Uint8Array(2);
// Stryker disable next-line ConditionalExpression,StringLiteral: every machine we run on is little-endian, so "big" is never taken here
const BYTEORDER = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? "little" : "big";

// A class, not a plain object, so that a JSON value with a "kind" key is never taken for one.
class Failure implements FrameError {
  constructor(readonly kind: FrameErrorKind, readonly reason: string) {}
}

function keepAll(): number {
  return Infinity;
}

function fail(kind: FrameErrorKind, reason: string): Failure {
  return new Failure(kind, reason);
}

function parseJson(
  bytes: Uint8Array,
  what: string,
  utf8: FrameErrorKind,
  syntax: FrameErrorKind,
): { value: unknown } | Failure {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return fail(utf8, `${what} is not valid UTF-8`);
  }
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return fail(syntax, `${what} is not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseHeader(bytes: Uint8Array, maxContent: number): FrameHeader | Failure {
  const parsed = parseJson(bytes, "JSON header", "header-utf8", "header-json");
  if (parsed instanceof Failure) return parsed;
  const h = parsed.value;
  if (!isObject(h)) return fail("header-not-object", "JSON header is not an object");
  for (const field of FIELDS) {
    if (!(field in h)) return fail("missing-field", `JSON header lacks "${field}"`);
  }
  if (h.byteorder !== "little" && h.byteorder !== "big") {
    return fail("field-type", `"byteorder" must be "little" or "big", not ${show(h.byteorder)}`);
  }
  for (const field of ["content-type", "content-encoding"]) {
    if (typeof h[field] !== "string") {
      return fail("field-type", `"${field}" must be a string, not ${show(h[field])}`);
    }
  }
  const length = h["content-length"];
  if (
    // Stryker disable next-line ConditionalExpression: Number.isInteger refuses non-numbers too; typeof only narrows the type
    typeof length !== "number" ||
    !Number.isInteger(length) || length < 0
  ) {
    return fail(
      "field-type",
      `"content-length" must be a non-negative integer, not ${show(length)}`,
    );
  }
  if (length > maxContent) {
    return fail("too-large", `content-length ${length} exceeds the limit of ${maxContent} bytes`);
  }
  const encoding = (h["content-encoding"] as string).toLowerCase();
  if (h["content-type"] === "text/json" && encoding !== "utf-8" && encoding !== "utf8") {
    return fail(
      "text-encoding",
      `content-encoding ${show(h["content-encoding"])} is not supported for text/json (use utf-8)`,
    );
  }
  return h as unknown as FrameHeader;
}

function parseContent(bytes: Uint8Array): Record<string, unknown> | Failure {
  const parsed = parseJson(bytes, "text/json content", "content-utf8", "content-json");
  if (parsed instanceof Failure) return parsed;
  if (!isObject(parsed.value)) {
    return fail("content-not-object", "text/json content is not a JSON object");
  }
  return parsed.value;
}

const FIELDS = ["byteorder", "content-type", "content-encoding", "content-length"];

function show(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
