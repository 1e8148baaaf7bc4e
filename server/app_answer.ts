/**
 * What the app server answers, per `../shared/PROTOCOL.md`: the search table,
 * the invalid-action text, the binary reply and the error reply. Pure
 * functions of the request, so the client can check answers with them too.
 *
 * @module
 */
import type { Frame, FrameHeader } from "../lib/frame.ts";

/** A reply: its content type and encoding, and the content. */
export interface Reply {
  /** `text/json` or `binary/custom-server-binary-type`. */
  readonly contentType: string;
  /** `utf-8` or `binary`. */
  readonly contentEncoding: string;
  /** The content bytes. */
  readonly content: Uint8Array;
}

/** The search table of PROTOCOL.md. */
export const SEARCH_TABLE: Readonly<Record<string, string>> = {
  morpheus: "Follow the white rabbit. 🐰",
  ring: "In the caves beneath the Misty Mountains. 💍",
  "🐶": "🐾 Playing ball! 🏐",
};

/** The content type of every binary reply. */
export const BINARY_REPLY_TYPE = "binary/custom-server-binary-type";

const encoder = new TextEncoder();
const BINARY_PREFIX = encoder.encode("First 10 bytes of request: ");
// How many bytes of a binary request its reply shows.
const ECHOED = 10;

/** The `result` a search for `value` gets. */
export function searchResult(value: unknown): string {
  const key = typeof value === "string" ? value : JSON.stringify(value) ?? "null";
  return Object.hasOwn(SEARCH_TABLE, key) ? SEARCH_TABLE[key] : `No match for "${key}".`;
}

/** The reply to a well-formed request. */
export function answer(request: Frame): Reply {
  const json = request.json;
  if (json === null) return binaryReply(request.content);
  const action = json.action;
  const result = action === "search"
    ? searchResult(json.value)
    : `Error: invalid action "${
      typeof action === "string" ? action : JSON.stringify(action) ?? "null"
    }".`;
  return jsonReply({ result });
}

/** How much of a request's content answering it needs: all of a JSON request, 10 bytes of others. */
export function contentNeeded(header: FrameHeader): number {
  return header["content-type"] === "text/json" ? Infinity : ECHOED;
}

/** The binary reply: a fixed prefix and the first 10 bytes of the request's content. */
export function binaryReply(content: Uint8Array): Reply {
  const out = new Uint8Array(BINARY_PREFIX.length + Math.min(ECHOED, content.length));
  out.set(BINARY_PREFIX);
  out.set(content.subarray(0, ECHOED), BINARY_PREFIX.length);
  return { contentType: BINARY_REPLY_TYPE, contentEncoding: "binary", content: out };
}

/** The `{"error": reason}` reply to malformed input. */
export function errorReply(reason: string): Reply {
  return jsonReply({ error: reason });
}

function jsonReply(body: Record<string, string>): Reply {
  return {
    contentType: "text/json",
    contentEncoding: "utf-8",
    content: encoder.encode(JSON.stringify(body)),
  };
}
