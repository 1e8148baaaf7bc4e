import type { Frame } from "../lib/frame.ts";
import type { AppObserver } from "./app.ts";
import type { AppRequest } from "./app_request.ts";

const decoder = new TextDecoder();

/**
 * Prints an app conversation: with `verbose`, the header and content of each
 * request and reply, as the guide's client does (on standard error, so the
 * result stays alone on standard output); with `results`, each reply as a
 * user reads it, e.g. `Follow the white rabbit. 🐰`.
 *
 * @example
 * ```ts
 * import { AppPrinter } from "./app_printer.ts";
 * const printer = new AppPrinter("127.0.0.1:65432", { verbose: false, results: true });
 * ```
 */
export class AppPrinter implements AppObserver {
  /** Prints for the server at `address`. */
  constructor(
    readonly address: string,
    readonly options: { readonly verbose: boolean; readonly results: boolean },
    readonly out: (line: string) => void = console.log,
    readonly err: (line: string) => void = console.error,
  ) {}

  /** A request went out. */
  sent(_index: number, request: AppRequest): void {
    if (!this.options.verbose) return;
    const length = (request.wire[0] << 8) | request.wire[1];
    const header = decoder.decode(request.wire.subarray(2, 2 + length));
    const content = request.wire.subarray(2 + length);
    this.err(`sending to ${this.address}: header ${header}`);
    this.err(`sending to ${this.address}: content ${showContent(content, header)}`);
  }

  /** A verified reply came back. */
  received(_index: number, reply: Frame): void {
    if (this.options.verbose) {
      const header = JSON.stringify(reply.header);
      this.err(`received from ${this.address}: header ${header}`);
      this.err(`received from ${this.address}: content ${showContent(reply.content, header)}`);
    }
    if (this.options.results) {
      this.out(reply.json !== null ? String(reply.json.result) : decoder.decode(reply.content));
    }
  }
}

function showContent(content: Uint8Array, header: string): string {
  return header.includes('"text/json"')
    ? decoder.decode(content)
    : `${content.length} bytes ${JSON.stringify(decoder.decode(content))}`;
}
