import { type Frame, frameBytes } from "../lib/frame.ts";
import { BINARY_REPLY_TYPE, binaryReply, searchResult } from "../server/app_answer.ts";

/** One app request, encoded once, and how to judge and show its reply. */
export interface AppRequest {
  /** The whole message as it goes on the wire. */
  readonly wire: Uint8Array;
  /** What it asks, for logs: `search "ring"`, `binary 15 bytes`. */
  readonly description: string;
  /** Null when `reply` is the answer PROTOCOL.md prescribes, else what is wrong with it. */
  check(reply: Frame): string | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A `text/json` search request for `value`, as the guide's client sends it.
 *
 * @example
 * ```ts
 * import { searchRequest } from "./app_request.ts";
 * const request = searchRequest("ring");
 * console.log(request.description); // search "ring"
 * ```
 */
export function searchRequest(value: string): AppRequest {
  const expected = searchResult(value);
  const content = encoder.encode(JSON.stringify({ action: "search", value }));
  return {
    wire: frameBytes("text/json", "utf-8", content),
    description: `search ${JSON.stringify(value)}`,
    check(reply) {
      // The right answer costs one comparison; only a wrong one is looked into.
      const json = reply.json;
      // Stryker disable next-line ConditionalExpression: without the shortcut the checks below reach the same verdict
      if (json !== null && json.result === expected && json.error === undefined) return null;
      const wrong = refusal(reply) ?? echoed(reply, "text/json", content);
      if (wrong !== null) return wrong;
      if (reply.json === null) {
        return `expected a text/json reply, got ${reply.header["content-type"]}`;
      }
      if (!Object.hasOwn(reply.json, "result")) {
        return `the reply has no "result": ${JSON.stringify(reply.json).slice(0, 80)}`;
      }
      // A right result was taken above, and one beside an error reported as the error.
      return `wrong answer: got ${JSON.stringify(reply.json.result)}, expected ${
        JSON.stringify(expected)
      }`;
    },
  };
}

/**
 * A binary request carrying `text` as `binary/custom-client-binary-type`.
 *
 * @example
 * ```ts
 * import { binaryRequest } from "./app_request.ts";
 * console.log(binaryRequest("hello world 123").description); // binary 15 bytes
 * ```
 */
export function binaryRequest(text: string): AppRequest {
  const content = encoder.encode(text);
  const expected = binaryReply(content).content;
  return {
    wire: frameBytes(CLIENT_BINARY_TYPE, "binary", content),
    description: `binary ${content.length} bytes`,
    check(reply) {
      const type = reply.header["content-type"];
      // The right answer costs one comparison; only a wrong one is looked into.
      // Stryker disable next-line ConditionalExpression: without the shortcut the checks below reach the same verdict
      if (type === BINARY_REPLY_TYPE && sameBytes(reply.content, expected)) return null;
      const wrong = refusal(reply) ?? echoed(reply, CLIENT_BINARY_TYPE, content);
      if (wrong !== null) return wrong;
      if (type !== BINARY_REPLY_TYPE) return `expected a ${BINARY_REPLY_TYPE} reply, got ${type}`;
      return `wrong answer: got ${JSON.stringify(decoder.decode(reply.content))}`;
    },
  };
}

const CLIENT_BINARY_TYPE = "binary/custom-client-binary-type";

// A reply that is the request itself: the peer is an echo server, not an app server.
function echoed(reply: Frame, type: string, content: Uint8Array): string | null {
  return reply.header["content-type"] === type && sameBytes(reply.content, content)
    ? 'the server sent the request back unchanged: is it an echo server, not "--protocol app"?'
    : null;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// The server's {"error": ...} reply, as a failure reason.
function refusal(reply: Frame): string | null {
  const error = reply.json?.error;
  return error === undefined ? null : `server answered with an error: ${String(error)}`;
}
