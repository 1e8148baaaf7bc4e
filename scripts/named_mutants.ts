/**
 * Breakages found by hand (reviews, issues 8 to 11) that the suite must catch: each
 * is one edit to one file, and the tests named must fail within the time
 * given. `deno task mutants` applies them one at a time to a copy of the tree.
 *
 * @module
 */

/** One hand-made mutation and the tests that must catch it. */
export interface NamedMutant {
  /** What the breakage does, as a user would see it. */
  readonly name: string;
  /** The file to break. */
  readonly file: string;
  /** Text that occurs exactly once in the file... */
  readonly from: string;
  /** ...and what it becomes. */
  readonly to: string;
  /** Test files that must fail. */
  readonly tests: readonly string[];
  /** How long they may take to fail; a slower failure counts as a miss. */
  readonly withinSeconds: number;
}

/** The list; keep it growing as reviews find breakages the suite missed. */
export const NAMED_MUTANTS: readonly NamedMutant[] = [
  {
    name: "the app server never pauses at the high-water mark",
    file: "server/app.ts",
    from: "return key.output.length > this.limits.highWater ? PAUSED : this.state;",
    to: "return this.state;",
    tests: ["tests/server/app_test.ts"],
    withinSeconds: 30,
  },
  {
    name: "content-length equal to --max-content is refused",
    file: "lib/frame.ts",
    from: "if (length > maxContent) {",
    to: "if (length >= maxContent) {",
    tests: ["tests/lib/frame_test.ts", "tests/server/app_test.ts"],
    withinSeconds: 30,
  },
  {
    name: "idle connections are closed at 60% of --idle-timeout",
    file: "server/serve.ts",
    from: "c !== null && due(c.lastActive + this.#idleMs, now);",
    to: "c !== null && due(c.lastActive + this.#idleMs * 0.6, now);",
    tests: ["tests/server/serve_test.ts"],
    withinSeconds: 30,
  },
  {
    name: "serve wires --idle-timeout at 60%",
    file: "server/serve_config.ts",
    from: "idleTimeout: config.idleTimeout,",
    to: "idleTimeout: config.idleTimeout * 0.6,",
    tests: ["tests/faults_test.ts"],
    withinSeconds: 60,
  },
  {
    name: "the echo client accepts one extra byte after the last generated message",
    file: "client/payload.ts",
    from: "if (past > 0) {",
    to: "if (past > 1) {",
    tests: ["tests/client/payload_test.ts", "tests/client/echo_test.ts"],
    withinSeconds: 30,
  },
  {
    name: "the echo client accepts one extra byte after the last text message",
    file: "client/payload.ts",
    from: "if (buf[i] !== stream[offset + i - start]) return i;",
    to:
      "if (offset + i - start !== stream.length && buf[i] !== stream[offset + i - start]) return i;",
    tests: ["tests/client/payload_test.ts", "tests/client/echo_test.ts"],
    withinSeconds: 30,
  },
  {
    name: "the app server's discard limit never closes the connection",
    file: "server/app.ts",
    from: "return this.#discarded > this.limits.discardLimit ? CLOSED : this.state;",
    to: "return this.state;",
    tests: ["tests/server/app_test.ts"],
    withinSeconds: 30,
  },
  {
    name: "the echo server never closes after draining",
    file: "server/echo.ts",
    from: "if (this.state === DRAINING && owed === 0) return CLOSED;",
    to: "",
    tests: ["tests/server/echo_test.ts"],
    withinSeconds: 30,
  },
  {
    name: "the echo server closes at the peer's FIN while bytes are still owed",
    file: "server/echo.ts",
    from: "return key.output.length === 0 ? CLOSED : DRAINING;",
    to: "return CLOSED;",
    tests: ["tests/integration_test.ts"],
    withinSeconds: 60,
  },
  {
    name: "--max-conns lets one connection too many in",
    file: "lib/conn_tally.ts",
    from: "if (Atomics.add(this.#cells, OPEN, 1) >= max) {",
    to: "if (Atomics.add(this.#cells, OPEN, 1) > max) {",
    tests: ["tests/server/serve_test.ts", "tests/faults_test.ts"],
    withinSeconds: 60,
  },
  {
    name: "a refused connection counts against --max-conns (the lock-out)",
    file: "server/serve.ts",
    from: "    this.#lingering.touch(conn, performance.now());\n",
    to: "    this.#lingering.touch(conn, performance.now());\n    this.#open.add(conn.key!);\n",
    tests: ["tests/server/serve_test.ts", "tests/faults_test.ts"],
    withinSeconds: 60,
  },
  {
    name: "refused connections linger without bound",
    file: "server/serve.ts",
    from: "if (refusal === undefined || this.#lingering.size >= this.#maxLingering) {",
    to: "if (refusal === undefined) {",
    tests: ["tests/server/serve_test.ts", "tests/faults_test.ts"],
    withinSeconds: 60,
  },
  {
    name: "each worker numbers and limits its own connections (no shared tally)",
    file: "server/serve_worker.ts",
    from: "new ConnTally(tally, index - 1)",
    to: "new ConnTally(undefined, index - 1)",
    tests: ["tests/server/serve_workers_test.ts"],
    withinSeconds: 60,
  },
  {
    name: "a dead worker's connections stay counted open",
    file: "server/serve_workers.ts",
    from: "this.#tally.forget(index - 1);",
    to: "",
    tests: ["tests/server/serve_workers_test.ts"],
    withinSeconds: 60,
  },
  {
    name: "every worker prints its own Draining line",
    file: "server/serve_worker.ts",
    from: "new ConnTally(tally, index - 1), false)",
    to: "new ConnTally(tally, index - 1), true)",
    tests: ["tests/server/serve_workers_test.ts"],
    withinSeconds: 60,
  },
  {
    name: "connect --workers leaves one client out of each share",
    file: "client/connect_workers.ts",
    from: "count: first(index + 1) - first(index) }",
    to: "count: first(index + 1) - first(index) - 1 }",
    tests: ["tests/client/connect_workers_test.ts"],
    withinSeconds: 60,
  },
  {
    name: "merged latency comes from the first run's histogram alone",
    file: "client/merge.ts",
    from: "latency.add(Histogram.decode(part.histogram));",
    to: "if (part === parts[0]) latency.add(Histogram.decode(part.histogram));",
    tests: ["tests/client/merge_test.ts"],
    withinSeconds: 60,
  },
  {
    name: "overlapping windows count their shared time twice",
    file: "client/merge.ts",
    from: "total += Math.max(0, to - Math.max(from, end));",
    to: "total += Math.max(0, to - from);",
    tests: ["tests/client/merge_test.ts"],
    withinSeconds: 60,
  },
  {
    name: "a value past the hour is merged silently",
    file: "lib/histogram.ts",
    from: "if (other.maxValue > HOUR_TOP) {",
    to: "if (other.maxValue > Infinity) {",
    tests: ["tests/lib/histogram_test.ts"],
    withinSeconds: 30,
  },
  {
    name: "connect --host localhost tries 127.0.0.1 alone (issue 10)",
    file: "lib/connect_tcp.ts",
    from: 'LOCALHOST.test(hostname) ? ["127.0.0.1", "::1"] : [hostname]',
    to: "[hostname]",
    tests: ["tests/lib/connect_tcp_test.ts", "tests/ipv6_test.ts"],
    withinSeconds: 30,
  },
  {
    name: "serve --unix takes over a live server's socket file (issue 10)",
    file: "server/serve_config.ts",
    from: 'if (live) return { address, reason: "address already in use" };',
    to: "",
    tests: ["tests/unix_test.ts"],
    withinSeconds: 30,
  },
  {
    name: "serve --unix leaves its socket file behind (issue 10)",
    file: "server/serve_command.ts",
    from: "      if (unix !== null) removeSocket(unix);\n      return { stats, died: false };",
    to: "      return { stats, died: false };",
    tests: ["tests/unix_test.ts"],
    withinSeconds: 60,
  },
  {
    name: "connect --pipe never passes an end of stream on (issue 10)",
    file: "lib/pipe.ts",
    from: "          other(key).endOutput();",
    to: "",
    tests: ["tests/pipe_test.ts"],
    withinSeconds: 45,
  },
  {
    name: "connect --pipe fails when its output is closed early (issue 10)",
    file: "lib/pipe.ts",
    from: 'if (side === "stdio" && ev.error instanceof Deno.errors.BrokenPipe) {',
    to: "if (false) {",
    tests: ["tests/pipe_test.ts"],
    withinSeconds: 45,
  },
  {
    name: "serve --pipe goes on accepting other connections (issue 10)",
    file: "server/serve_command.ts",
    from: "    listener.close();\n    if (unix !== null) removeSocket(unix);\n  });",
    to: "    if (unix !== null) removeSocket(unix);\n  });",
    tests: ["tests/pipe_test.ts"],
    withinSeconds: 45,
  },
  {
    name: "serve --tls-cert serves plain TCP (issue 10)",
    file: "server/serve_config.ts",
    from: "if (config.tls === null) return Deno.listen(options);",
    to: "return Deno.listen(options);",
    tests: ["tests/tls_test.ts"],
    withinSeconds: 60,
  },
  {
    name: "connect --ca is not trusted (issue 10)",
    file: "lib/connect_tls.ts",
    from: "caCerts: options.ca === null ? undefined : [options.ca],",
    to: "caCerts: undefined,",
    tests: ["tests/tls_test.ts"],
    withinSeconds: 60,
  },
  {
    name: "connect --pipe reads the peer however much stdout owes (issue 10)",
    file: "lib/pipe.ts",
    from: "const netRoom = ioKey.output.length < HIGH_WATER,",
    to: "const netRoom = true,",
    tests: ["tests/lib/pipe_test.ts"],
    withinSeconds: 30,
  },
  {
    name: "the relay never passes a FIN on (issue 11)",
    file: "server/relay_flow.ts",
    from: '    this.state = "finished";\n    dest.endOutput();',
    to: '    this.state = "finished";',
    tests: ["tests/server/relay_test.ts"],
    withinSeconds: 45,
  },
  {
    name: "the relay reads a source however much its destination owes (issue 11)",
    file: "server/relay_flow.ts",
    from: 'return this.state === "open" && this.held + dest.output.length < HIGH_WATER;',
    to: 'return this.state === "open";',
    tests: ["tests/server/relay_test.ts"],
    withinSeconds: 45,
  },
  {
    name: "the relay closes the other leg of a reset one with a FIN (issue 11)",
    file: "server/relay.ts",
    from: "      this.#abort(fromClient ? this.#target! : this.#client!);",
    to: "",
    tests: ["tests/server/relay_test.ts"],
    withinSeconds: 45,
  },
  {
    name: "--reset-after lets one byte too many through (issue 11)",
    file: "server/relay_flow.ts",
    from: "      m = limit - this.passed;",
    to: "      m = limit - this.passed + 1;",
    tests: ["tests/server/relay_test.ts", "tests/relay_test.ts"],
    withinSeconds: 60,
  },
  {
    name: "--refuse ignores the seed (issue 11)",
    file: "server/relay_config.ts",
    from: "random(spec.seed, number, 1)() < spec.refuse",
    to: "Math.random() < spec.refuse",
    tests: ["tests/server/relay_test.ts"],
    withinSeconds: 45,
  },
  {
    name: "the delay line lets bytes out before their time (issue 11)",
    file: "lib/delay_line.ts",
    from: "      if (start > now) break;",
    to: "      if (start > now + 5) break;",
    tests: ["tests/lib/delay_line_test.ts"],
    withinSeconds: 30,
  },
  {
    name: "a reset is a plain close (issue 11)",
    file: "lib/tcp_abort.ts",
    from: "return libc.connect(fd, UNSPEC, UNSPEC.length) === 0;",
    to: "return true;",
    tests: ["tests/lib/tcp_abort_test.ts", "tests/relay_test.ts"],
    withinSeconds: 60,
  },
  {
    name: "the server never ticks a session waiting on time (issue 11)",
    file: "server/serve.ts",
    from: "      this.#fireTimers(now);\n",
    to: "",
    tests: ["tests/server/relay_test.ts"],
    withinSeconds: 45,
  },
  {
    name: "a relay's target leg is left open when the connection closes (issue 11)",
    file: "server/serve.ts",
    from: "    if (conn.dialed !== null) this.#loop.unregister(conn.dialed);\n",
    to: "",
    tests: ["tests/server/relay_test.ts"],
    withinSeconds: 45,
  },
];
