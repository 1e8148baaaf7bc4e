import assert from "node:assert/strict";
import { runPipe } from "../../relay/pipe.ts";
import { random, ScriptedPeer } from "../fake_stream.ts";
import { waitUntil } from "../harness.ts";

const MiB = 1 << 20;

Deno.test("pipe: output that is never written stops reads from the peer near 1 MiB owed", async () => {
  const rand = random(7);
  // The peer sends 16 MiB; standard output takes nothing, standard input never ends.
  const net = new ScriptedPeer(new Uint8Array(16 * MiB), { rand, maxRead: 65536, maxWrite: 65536 });
  const local = new ScriptedPeer(new Uint8Array(0), { rand, maxRead: 1, maxWrite: 1 }, {
    eof: false,
    holdWrites: true,
  });
  void runPipe(Promise.resolve(net), local, "peer", null);
  // Reads go on until the output owes 1 MiB, then stop for good.
  let last = -1;
  assert.equal(
    await waitUntil(() => {
      const settled = net.taken === last;
      last = net.taken;
      return settled && net.taken > 0;
    }, 10_000),
    true,
  );
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(net.taken >= MiB, `read ${net.taken} bytes: it stopped before the mark`);
  assert.ok(net.taken <= MiB + 2 * 65536, `read ${net.taken} bytes: past the mark`);
  assert.ok(net.taken < 16 * MiB);
  net.close();
  local.close();
});

Deno.test("pipe: input the peer does not take stops reads from standard input near 1 MiB owed", async () => {
  const rand = random(8);
  const net = new ScriptedPeer(new Uint8Array(0), { rand, maxRead: 1, maxWrite: 1 }, {
    eof: false,
    holdWrites: true,
  });
  const local = new ScriptedPeer(new Uint8Array(16 * MiB), {
    rand,
    maxRead: 65536,
    maxWrite: 65536,
  });
  void runPipe(Promise.resolve(net), local, "peer", null);
  let last = -1;
  await waitUntil(() => {
    const settled = local.taken === last;
    last = local.taken;
    return settled && local.taken > 0;
  }, 10_000);
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(local.taken >= MiB && local.taken <= MiB + 2 * 65536, `read ${local.taken} of input`);
  net.close();
  local.close();
});

Deno.test("pipe: both ways end on their own; --verbose traces each read, write and end", async () => {
  const rand = random(9);
  const chaos = { rand, maxRead: 65536, maxWrite: 65536 };
  const encoder = new TextEncoder();
  const net = new ScriptedPeer(encoder.encode("hi"), chaos);
  const local = new ScriptedPeer(encoder.encode("you"), chaos); // 3 bytes up, 2 down: labels tell
  const lines: string[] = [];
  const outcome = await runPipe(Promise.resolve(net), local, "peer:7", (l) => lines.push(l));
  assert.deepEqual(outcome, { failure: null, sent: 3, received: 2 });
  assert.equal(new TextDecoder().decode(net.echoed), "you");
  assert.equal(new TextDecoder().decode(local.echoed), "hi");
  assert.equal(lines[0], "connected to peer:7");
  assert.deepEqual(lines.slice(1).sort(), [
    "input: end of input; sending FIN",
    "input: read 3 bytes",
    "output: wrote 2 bytes",
    "peer: end of stream (FIN)",
    "peer: read 2 bytes",
    "peer: wrote 3 bytes",
  ]);
});

Deno.test("pipe: a refused connect and a reset are failures naming the address", async () => {
  const refused = await runPipe(
    Promise.reject(new Deno.errors.ConnectionRefused("refused")),
    new ScriptedPeer(new Uint8Array(0), { rand: random(1), maxRead: 1, maxWrite: 1 }),
    "127.0.0.1:9",
    null,
  );
  assert.equal(refused.failure, "cannot connect to 127.0.0.1:9: connection refused");
  const rand = random(2);
  const net = new ScriptedPeer(new Uint8Array(100), { rand, maxRead: 10, maxWrite: 10 }, {
    resetAfter: 50,
  });
  const local = new ScriptedPeer(new Uint8Array(0), { rand, maxRead: 1, maxWrite: 100 }, {
    eof: false,
  });
  const reset = await runPipe(Promise.resolve(net), local, "127.0.0.1:9", null);
  assert.equal(reset.failure, "127.0.0.1:9: connection reset by peer");
  assert.equal(local.closed, true, "the pipe let go of its standard streams");
});

Deno.test("pipe: standard output failing otherwise than a closed pipe is a failure, not a quiet end", async () => {
  const net = new ScriptedPeer(new Uint8Array(10), { rand: random(3), maxRead: 10, maxWrite: 10 });
  const local = {
    read: () => new Promise<number | null>(() => {}), // input that never ends
    write: () =>
      Promise.reject(new Deno.errors.PermissionDenied("Permission denied (os error 13)")),
    close: () => {},
  };
  const outcome = await runPipe(Promise.resolve(net), local, "peer", null);
  assert.equal(outcome.failure, "standard input or output: permission denied");
});

Deno.test("pipe: standard output closed by its reader (| head) ends it quietly; --verbose says so", async () => {
  const net = new ScriptedPeer(
    new Uint8Array(100),
    { rand: random(11), maxRead: 10, maxWrite: 10 },
    {
      eof: false,
    },
  );
  const local = {
    read: () => new Promise<number | null>(() => {}), // input that never ends
    write: () => Promise.reject(new Deno.errors.BrokenPipe("Broken pipe (os error 32)")),
    close: () => {},
  };
  const lines: string[] = [];
  const outcome = await runPipe(Promise.resolve(net), local, "peer:7", (l) => lines.push(l));
  assert.equal(outcome.failure, null);
  assert.equal(lines.at(-1), "output: closed by its reader; stopping");
  assert.ok(net.closed, "the socket is closed too");
});

Deno.test("pipe: --verbose names a failure's side and cause", async () => {
  const rand = random(12);
  const net = new ScriptedPeer(new Uint8Array(100), { rand, maxRead: 10, maxWrite: 10 }, {
    resetAfter: 30,
  });
  const local = new ScriptedPeer(new Uint8Array(0), { rand, maxRead: 1, maxWrite: 100 }, {
    eof: false,
  });
  const lines: string[] = [];
  await runPipe(Promise.resolve(net), local, "peer:7", (l) => lines.push(l));
  assert.equal(lines.at(-1), "peer: connection reset by peer");
  const failing = {
    read: () => Promise.reject(new Deno.errors.PermissionDenied("no")),
    write: (b: Uint8Array) => Promise.resolve(b.length),
    close: () => {},
  };
  const more: string[] = [];
  const quiet = new ScriptedPeer(new Uint8Array(0), { rand, maxRead: 1, maxWrite: 1 }, {
    eof: false,
  });
  const outcome = await runPipe(Promise.resolve(quiet), failing, "peer:7", (l) => more.push(l));
  assert.equal(outcome.failure, "standard input or output: permission denied");
  assert.equal(more.at(-1), "standard input or output: permission denied");
});
