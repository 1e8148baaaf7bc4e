/**
 * A loop key as a session sees it, without a loop or a stream: a test puts a
 * read's bytes in `input`, and the session's output lands in a queue.
 */
import { ByteQueue } from "../lib/byte_queue.ts";
import type { Key } from "../lib/loop.ts";

/** A key reading from `input` and writing to `output`; `forwardInput` copies. */
export function fakeKey(
  input: Uint8Array = new Uint8Array(0),
  output: ByteQueue = new ByteQueue(),
): Key<unknown> & { input: Uint8Array } {
  const key = {
    output,
    input,
    stream: null,
    get owed() {
      return output.length;
    },
    get outputMemory() {
      return output.capacity;
    },
    forwardInput(n: number, to: ByteQueue = output) {
      to.push(key.input, 0, n);
    },
    endOutput() {},
  };
  return key as unknown as Key<unknown> & { input: Uint8Array };
}
