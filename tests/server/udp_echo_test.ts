/**
 * `serve --udp` in process: each datagram back to its own sender whole,
 * from 1 byte to the largest there is, an empty one counted and not sent;
 * the socket's closing line at the stop.
 */
import assert from "node:assert/strict";
import { captureLog, serveUntil } from "../harness.ts";
import { bytes } from "../fake_stream.ts";
import { listenFor, newServer } from "../../server/host.ts";
import { parseServe } from "../../server/serve_options.ts";
import { serveSessions } from "../../server/serve_sessions.ts";
import { UdpEchoSession } from "../../server/udp_echo.ts";

Deno.test("udp echo: each datagram back to its sender, 1 byte to 65,507; an empty one counted, not sent", async () => {
  const config = parseServe(["--udp", "-p", "0"])!;
  const { log, out } = captureLog();
  const listeners = await listenFor(config);
  assert.ok(Array.isArray(listeners));
  const port = (listeners[0].addr as Deno.NetAddr).port;
  const server = newServer(config, serveSessions(config, log), listeners, log);
  const to = { transport: "udp" as const, hostname: "127.0.0.1", port };
  const peers = [0, 1].map(() =>
    Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 })
  );
  const sizes = [1, 1000, 65_507];
  let checked = 0;
  try {
    await serveUntil(server, () => checked === 2 * sizes.length, "the echoes", async () => {
      for (const [p, peer] of peers.entries()) {
        for (const size of sizes) {
          const sent = bytes(size, size + p);
          await peer.send(sent, to);
          const [back, from] = await peer.receive();
          assert.deepEqual(back, sent, `${size} bytes to peer ${p}`);
          assert.equal((from as Deno.NetAddr).port, port);
          checked++;
        }
      }
      await peers[0].send(new Uint8Array(0), to);
      // The empty one comes to nothing; the next still comes back.
      await peers[0].send(bytes(3), to);
      assert.deepEqual((await peers[0].receive())[0], bytes(3));
    });
  } finally {
    for (const peer of peers) peer.close();
  }
  assert.deepEqual(out, [
    `#1 accepted from udp socket 127.0.0.1:${port} (1 open)`,
    `#1 closed udp socket 127.0.0.1:${port}: 133019 bytes in, 133019 out; ` +
    "8 datagrams in, 7 out, 0 dropped (queue full), 1 empty (0 open)",
  ]);
});

Deno.test("udp echo: a session that never read says so; it always wants to read, and a stop ends it at once", () => {
  const session = new UdpEchoSession();
  assert.equal(session.stateName, "echoing");
  assert.equal(session.failure, null);
  assert.equal(session.drain(), true);
  assert.deepEqual(session.summary(), {
    text: "0 datagrams in, 0 out",
    fields: { datagrams_in: 0, datagrams_out: 0, dropped: 0, empty: 0, socket_errors: 0 },
  });
  const key = { stream: {} } as never;
  session.handle({ type: "error", key, error: new Error("unreachable") } as never);
  session.handle({ type: "error", key, error: new Error("unreachable") } as never);
  assert.equal(session.summary().text, "0 datagrams in, 0 out, 2 errors");
  assert.equal(session.summary().fields.socket_errors, 2);
});
