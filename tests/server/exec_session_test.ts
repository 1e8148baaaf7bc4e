/**
 * The exec session in-process, with a fake child: bytes both ways through
 * short reads and partial writes, the connection held open until the child
 * exits, its standard error as lines, a child that cannot start, and one
 * that stops reading its input while its output still goes out.
 */
import assert from "node:assert/strict";
import { BufferPool } from "../../lib/buffer_pool.ts";
import { type Event, Interest, type Key, type Stream } from "../../lib/loop.ts";
import { type ExecChild, ExecSession } from "../../server/exec_session.ts";
import { Server } from "../../server/server.ts";
import { bytes, FakeAcceptor, random, ScriptedPeer, ServerPeer } from "../fake_stream.ts";
import { captureLog, serveUntil } from "../harness.ts";
import { fakeKey } from "../fake_key.ts";

const chaos = (seed: number, max = 700) => ({ rand: random(seed), maxRead: max, maxWrite: max });

/** A child with `stdio` for its pipes, `stderr` text, and an exit it is told to make. */
function fakeChild(stdio: Stream, stderr: string, seed: number) {
  let exit!: (status: Deno.CommandStatus) => void;
  const exited = new Promise<Deno.CommandStatus>((resolve) => exit = resolve);
  const child: ExecChild & { status: Deno.CommandStatus | null } = {
    pid: 4242,
    status: null,
    stdio,
    stderr: new ScriptedPeer(new TextEncoder().encode(stderr), chaos(seed, 3)),
    exit: {
      read: () => exited.then(() => null),
      write: () => Promise.reject(new Error("read-only")),
      close() {},
    },
  };
  let exitedAt = NaN;
  return {
    child,
    get exitedAt() {
      return exitedAt;
    },
    exitWith(code: number) {
      exitedAt = performance.now();
      child.status = { success: code === 0, code, signal: null };
      exit(child.status);
    },
  };
}

function execServer(client: Stream, spawn: () => ExecChild) {
  const { log, out, err } = captureLog();
  const envs: Record<string, string>[] = [];
  const server = new Server(new FakeAcceptor([client], random(9)), {
    log,
    pool: new BufferPool({ minSize: 64, maxSize: 4096 }),
    newSession: (n) =>
      new ExecSession({
        name: "cat",
        spawn: (env) => {
          envs.push(env);
          return spawn();
        },
        stderr: (n, line) => log.error("stderr", `#${n} stderr: ${line}`),
      }, n),
  });
  return { server, out, err, envs };
}

Deno.test("exec session: bytes both ways intact through short reads and partial writes; the connection waits for the child's exit", async () => {
  const client = new ScriptedPeer(bytes(50_000), chaos(1));
  const pipes = new ServerPeer(chaos(2));
  const fake = fakeChild(pipes, "first warning\nsecond", 3);
  const { server, out, err, envs } = execServer(client, () => fake.child);
  // The child exits a little after its input ended, as cat does.
  const exiting = (async () => {
    while (!pipes.finished) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setTimeout(r, 30));
    fake.exitWith(0);
  })();
  await serveUntil(server, () => client.closed, "the exec connection to finish");
  await exiting;
  assert.deepEqual(client.echoed, bytes(50_000));
  assert.equal(pipes.written, 50_000);
  assert.equal(client.finished, true, "the child's end reached the peer");
  assert.ok(client.closedAt >= fake.exitedAt, "closed only once the child had exited");
  assert.equal(pipes.closed, true);
  assert.deepEqual(envs, [{ SOCKDEMO_CONN: "1" }]);
  assert.deepEqual(err, ["#1 stderr: first warning", "#1 stderr: second"]);
  assert.deepEqual(out, [
    "#1 accepted from peer (1 open)",
    "#1 closed peer: 50000 bytes in, 50000 out; cat (pid 4242): 50000 bytes in, 50000 out; exit 0 (0 open)",
  ]);
});

Deno.test("exec session: a child that exits first still has its output delivered, then the connection closes", async () => {
  const client = new ScriptedPeer(bytes(5000), chaos(4));
  const pipes = new ServerPeer(chaos(5));
  const fake = fakeChild(pipes, "", 6);
  fake.exitWith(3);
  const { server, out } = execServer(client, () => fake.child);
  await serveUntil(server, () => client.closed, "the exec connection to finish");
  assert.deepEqual(client.echoed, bytes(5000));
  assert.equal(
    out[1],
    "#1 closed peer: 5000 bytes in, 5000 out; cat (pid 4242): 5000 bytes in, 5000 out; exit 3 (0 open)",
  );
});

Deno.test("exec session: a child that cannot start fails its connection only, saying why", async () => {
  const client = new ScriptedPeer(bytes(10), chaos(7), { eof: false });
  const { server, out, err } = execServer(client, () => {
    throw new Deno.errors.NotFound("No such file or directory (os error 2)");
  });
  await serveUntil(server, () => client.closed, "the failed connection to close");
  assert.deepEqual(out, ["#1 accepted from peer (1 open)"]);
  assert.deepEqual(err, [
    "sockdemo: #1 peer: cannot run cat: no such file or directory; closed after 0 bytes in, 0 out",
  ]);
});

// Child pipes that read `take` bytes, then close their input (EPIPE on writes), say `bye` and end.
class Quitter implements Stream {
  taken = 0;
  closed = false;
  #said = false;
  constructor(readonly take: number) {}
  write(buf: Uint8Array): Promise<number> {
    if (this.taken >= this.take) return Promise.reject(new Deno.errors.BrokenPipe("Broken pipe"));
    const n = Math.min(buf.length, this.take - this.taken);
    this.taken += n;
    return Promise.resolve(n);
  }
  read(buf: Uint8Array): Promise<number | null> {
    return new Promise((resolve) => {
      const look = () => {
        if (this.#said) return resolve(null);
        if (this.taken < this.take) return void setTimeout(look, 2);
        this.#said = true;
        buf.set(new TextEncoder().encode("bye"));
        resolve(3);
      };
      setTimeout(look, 2);
    });
  }
  closeWrite(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {
    this.closed = true;
  }
}

Deno.test("exec session: a child that stops reading: the peer still gets its output and its end; nothing more is read", async () => {
  const client = new ScriptedPeer(bytes(100_000), chaos(8, 300), { eof: false });
  const pipes = new Quitter(1000);
  const fake = fakeChild(pipes, "", 9);
  fake.exitWith(0);
  const { server, out, err } = execServer(client, () => fake.child);
  await serveUntil(server, () => client.closed, "the connection to close");
  assert.equal(new TextDecoder().decode(client.echoed), "bye");
  assert.equal(client.finished, true, "the peer got the child's end");
  assert.ok(client.taken < 100_000, `read ${client.taken} bytes from the peer, all of them`);
  assert.deepEqual(err, []);
  assert.match(
    out[1],
    /^#1 closed peer: \d+ bytes in, 3 out; cat \(pid 4242\): 1000 bytes in, 3 out; exit 0; it closed its input early \(0 open\)$/,
  );
});

// The event `type` of `key`, with `n` bytes or an `error`.
function ev(type: Event<unknown>["type"], key: Key<unknown>, n = 0, error: unknown = null) {
  return { type, key, n, size: n, stream: null, error } as Event<unknown>;
}

/** An exec session driven by hand: its keys are fakes, its child a stub whose status the test sets. */
function byHand() {
  const client = fakeKey(), dialed: ReturnType<typeof fakeKey>[] = [], lines: string[] = [];
  const child = { pid: 7, status: null as Deno.CommandStatus | null } as unknown as ExecChild & {
    status: Deno.CommandStatus | null;
  };
  const session = new ExecSession({
    name: "cat",
    spawn: () => child,
    stderr: (n, line) => lines.push(`#${n} ${line}`),
  }, 3);
  session.start(client, () => {
    const key = fakeKey();
    dialed.push(key);
    return key;
  });
  const [stdio, stderr, exit] = dialed;
  return { session, client, stdio, stderr, exit, child, lines };
}

Deno.test("exec session, event by event: its states, what it wants of each stream, their names, its held bytes", () => {
  const { session: s, client, stdio, stderr, exit, child, lines } = byHand();
  const { NONE, READ, READ_WRITE } = Interest;
  assert.equal(s.stateName, "running");
  assert.deepEqual([s.interest(client), s.interest(stdio), s.interest(stderr), s.interest(exit)], [
    NONE,
    NONE,
    READ,
    READ,
  ]);
  assert.deepEqual([s.label(client), s.label(stdio), s.label(stderr), s.label(exit)], [
    "client",
    "child",
    "stderr",
    "exit",
  ]);
  assert.equal(s.drain(), false, "a drain lets the child finish");
  assert.equal(s.handle(ev("connect", stdio)), false);
  assert.deepEqual([s.interest(client), s.interest(stdio)], [READ_WRITE, READ_WRITE]);
  client.input = new TextEncoder().encode("hi");
  s.handle(ev("read", client, 2));
  assert.equal(stdio.output.length, 2);
  assert.equal(s.held(), stdio.output.capacity + client.output.capacity);
  stdio.output.clear();
  s.handle(ev("write", stdio, 2));
  s.handle(ev("eof", client));
  assert.equal(s.handle(ev("eof", stdio)), false, "both ways over, the child still running");
  assert.equal(s.stateName, "ending");
  assert.deepEqual([s.interest(client), s.interest(stdio), s.interest(stderr)], [NONE, NONE, READ]);
  stderr.input = new TextEncoder().encode("oops\nhalf");
  s.handle(ev("read", stderr, 9));
  assert.equal(s.handle(ev("eof", stderr)), false);
  assert.deepEqual(lines, ["#3 oops", "#3 half"]);
  assert.equal(s.interest(stderr), NONE);
  (stdio as unknown as { bytesWritten: number; bytesRead: number }).bytesWritten = 2;
  (stdio as unknown as { bytesWritten: number; bytesRead: number }).bytesRead = 0;
  child.status = { success: false, code: 4, signal: null };
  assert.equal(s.handle(ev("eof", exit)), true);
  assert.equal(s.stateName, "closed");
  assert.equal(s.interest(exit), NONE);
  assert.equal(s.failure, null);
  assert.deepEqual(s.summary(), {
    text: "cat (pid 7): 2 bytes in, 0 out; exit 4",
    fields: {
      child: "cat",
      pid: 7,
      child_bytes_in: 2,
      child_bytes_out: 0,
      exit_code: 4,
      exit_signal: "",
    },
  });
});

Deno.test("exec session, event by event: a child that closes its input ends when its output has ended; a broken leg fails, naming the child", () => {
  const a = byHand(), { READ_WRITE, WRITE } = Interest;
  a.session.handle(ev("connect", a.stdio));
  a.session.handle(ev("error", a.stdio, 0, new Deno.errors.BrokenPipe("Broken pipe")));
  assert.equal(a.session.stateName, "running");
  assert.equal(a.session.interest(a.client), WRITE, "nothing more read from the peer");
  assert.equal(a.session.interest(a.stdio), READ_WRITE);
  a.stdio.input = new TextEncoder().encode("bye");
  a.session.handle(ev("read", a.stdio, 3));
  a.session.handle(ev("eof", a.stdio));
  assert.equal(a.session.stateName, "running", "its bye still owed to the peer");
  a.client.output.clear();
  a.session.handle(ev("write", a.client, 3));
  assert.equal(a.session.stateName, "ending");
  (a.stdio as unknown as { bytesWritten: number; bytesRead: number }).bytesWritten = 0;
  (a.stdio as unknown as { bytesWritten: number; bytesRead: number }).bytesRead = 3;
  assert.deepEqual(a.session.summary()!.fields.input_closed, 1);
  assert.match(a.session.summary()!.text, /; it closed its input early$/);
  const b = byHand();
  b.session.handle(ev("connect", b.stdio));
  const reset = new Deno.errors.ConnectionReset("Connection reset by peer (os error 104)");
  assert.equal(b.session.handle(ev("error", b.stdio, 0, reset)), true);
  assert.equal(b.session.failure, "child cat: connection reset by peer");
  assert.equal(b.session.stateName, "failed");
  // The peer's broken pipe is the peer's fault, not a child that stopped reading.
  const c = byHand();
  c.session.handle(ev("connect", c.stdio));
  const gone = new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
  assert.equal(c.session.handle(ev("error", c.client, 0, gone)), true);
  assert.equal(c.session.failure, "client: broken pipe");
  // A read of the child's output is just that, even with a broken pipe in its record.
  const d = byHand();
  d.session.handle(ev("connect", d.stdio));
  d.stdio.input = new TextEncoder().encode("x");
  d.session.handle({ ...ev("read", d.stdio, 1), error: gone } as Event<unknown>);
  assert.equal(d.client.output.length, 1);
  assert.equal(d.session.interest(d.client), Interest.READ_WRITE, "its input is still open");
});
