import type { Conversation, EchoClient } from "./echo.ts";
import type { Payload } from "./payload.ts";

/**
 * Prints an echo conversation line by line, as the guide's client does:
 * what each connection sent, what came back (in whatever pieces TCP
 * delivered it), and when it closed.
 *
 * @example
 * ```ts
 * import { ConversationPrinter } from "./conversation.ts";
 * import { TextPayload } from "./payload.ts";
 * const printer = new ConversationPrinter(new TextPayload(["hi"]), "127.0.0.1:65432", console.log);
 * printer.sent(0, 0); // conn 1: sent "hi"
 * ```
 */
export class ConversationPrinter implements Conversation {
  readonly #decoder = new TextDecoder();

  /** Prints through `print`, naming `address` when a connection opens. */
  constructor(
    readonly payload: Payload,
    readonly address: string,
    readonly print: (line: string) => void,
  ) {}

  /** The connection is up. */
  opened(client: EchoClient): void {
    this.print(`conn ${client.index + 1}: connected to ${this.address}`);
  }

  /** Message `message` was queued. */
  sent(conn: number, message: number): void {
    this.print(`conn ${conn + 1}: sent ${JSON.stringify(this.payload.text(message))}`);
  }

  /** Bytes came back. */
  received(conn: number, bytes: Uint8Array): void {
    const text = this.#decoder.decode(bytes, { stream: false });
    this.print(`conn ${conn + 1}: received ${JSON.stringify(text)}`);
  }

  /** The connection is finished. */
  closed(client: EchoClient): void {
    if (client.state.name === "done") {
      this.print(
        `conn ${client.index + 1}: all ${client.bytesReceived} bytes came back verified; closing`,
      );
    }
  }
}
