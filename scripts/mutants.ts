/**
 * `deno task mutants [--named-only | --stryker-only] [MODULE...]`: mutation
 * testing, to prove the suite fails when behaviour breaks.
 *
 * 1. StrykerJS mutates each module (every operator, condition, literal and
 *    block it knows how to change), runs the module's tests on each mutant
 *    with its `command` runner, and the script prints a score table. Mutants
 *    that cannot change behaviour are marked in the source with a
 *    `// Stryker disable next-line <mutator>: <reason>` comment and listed
 *    at the end with their reasons.
 * 2. The named mutants of `named_mutants.ts` (breakages found by hand, in
 *    reviews) are applied one at a time to a copy of the tree, and the
 *    tests they name must fail within the time they allow.
 *
 * Stryker is installed with npm outside the project (a `package.json` or
 * `node_modules` in the project root would change how Deno resolves `npm:`
 * imports): in `$SOCKDEMO_STRYKER_DIR`, by default `~/.cache/sockdemo-stryker`.
 * It needs `node` and `npm`; version 8 runs on Node 20.
 *
 * @module
 */
import { NAMED_MUTANTS } from "./named_mutants.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const STRYKER_VERSION = "8.7.1";

/** Each mutated module and the tests that must catch its mutants. */
export const MODULES: Record<string, string[]> = {
  "lib/plural.ts": ["tests/client/report_test.ts", "tests/server/serve_test.ts"],
  "client/meter.ts": [
    "tests/client/pace_test.ts",
    "tests/client/report_test.ts",
    "tests/client/echo_test.ts",
  ],
  "client/report.ts": ["tests/client/report_test.ts"],
  "client/echo.ts": ["tests/client/echo_test.ts"],
  "client/app.ts": ["tests/client/app_test.ts"],
  "client/app_request.ts": ["tests/client/app_test.ts"],
  "client/connect.ts": ["tests/client/session_test.ts", "tests/client/echo_test.ts"],
  "lib/loop.ts": ["tests/lib/loop_test.ts"],
  "lib/registration.ts": ["tests/lib/loop_test.ts"],
  "lib/log.ts": ["tests/lib/log_test.ts"],
  "lib/frame.ts": ["tests/lib/frame_test.ts"],
  "lib/byte_queue.ts": ["tests/lib/byte_queue_test.ts"],
  "server/echo.ts": ["tests/server/echo_test.ts"],
  "server/app.ts": ["tests/server/app_test.ts", "tests/server/budget_test.ts"],
  "server/app_answer.ts": ["tests/server/app_answer_test.ts"],
  "server/server.ts": [
    "tests/server/server_test.ts",
    "tests/relay/toxiproxy_api_test.ts",
    "tests/server/serve_test.ts",
    "tests/server/echo_test.ts",
    "tests/server/budget_test.ts",
    "tests/relay/relay_test.ts",
  ],
  "server/admission.ts": ["tests/server/parts_test.ts"],
  "server/budget_governor.ts": ["tests/server/parts_test.ts"],
  "server/connection_table.ts": ["tests/server/parts_test.ts"],
  "server/heap_tidy.ts": ["tests/server/parts_test.ts"],
  "server/tracer.ts": ["tests/server/tracer_test.ts"],
  "server/server_stats.ts": ["tests/server/serve_test.ts"],
  "server/connection.ts": ["tests/server/parts_test.ts"],
  "server/session.ts": ["tests/server/echo_test.ts"],
  "client/session.ts": ["tests/client/session_test.ts", "tests/client/echo_test.ts"],
  "client/payload.ts": ["tests/client/payload_test.ts"],
  "lib/conn_tally.ts": ["tests/lib/conn_tally_test.ts"],
  "lib/histogram.ts": ["tests/lib/histogram_test.ts"],
  "client/merge.ts": ["tests/client/merge_test.ts"],
  "lib/command_line.ts": ["tests/lib/command_line_test.ts"],
  "lib/checks.ts": ["tests/lib/command_line_test.ts"],
  "lib/address.ts": ["tests/lib/address_test.ts"],
  "server/serve_workers.ts": ["tests/server/serve_workers_test.ts"],
  "client/connect_workers.ts": ["tests/client/connect_workers_test.ts"],
  "relay/pipe.ts": ["tests/relay/pipe_test.ts"],
  "lib/delay_line.ts": ["tests/lib/delay_line_test.ts"],
  "lib/timer_heap.ts": ["tests/lib/timer_heap_test.ts"],
  "lib/random.ts": ["tests/lib/random_test.ts"],
  "lib/tcp_abort.ts": ["tests/lib/tcp_abort_test.ts"],
  "relay/relay_flow.ts": [
    "tests/relay/relay_flow_test.ts",
    "tests/relay/relay_test.ts",
    "tests/relay/toxics_test.ts",
  ],
  "relay/relay.ts": [
    "tests/relay/relay_test.ts",
    "tests/relay/pipe_test.ts",
    "tests/relay/toxics_test.ts",
  ],
  "relay/toxic_link.ts": ["tests/relay/toxic_link_test.ts", "tests/relay/relay_flow_test.ts"],
  "relay/toxic_spec.ts": ["tests/relay/toxic_spec_test.ts"],
  "relay/api_error.ts": ["tests/relay/toxic_spec_test.ts"],
  "relay/fault_toxics.ts": ["tests/relay/fault_toxics_test.ts"],
  "relay/proxy_table.ts": ["tests/relay/proxy_table_test.ts", "tests/relay/toxiproxy_api_test.ts"],
  "relay/toxiproxy_api.ts": ["tests/relay/toxiproxy_api_test.ts"],
  "server/http_session.ts": ["tests/server/http_session_test.ts"],
  "relay/proxy_host.ts": [
    "tests/relay/toxiproxy_api_test.ts",
    "tests/relay/toxics_test.ts",
    "tests/relay_api_test.ts",
  ],
  "relay/api_relay.ts": ["tests/relay_api_test.ts"],
  "relay/api_workers.ts": ["tests/relay/api_workers_test.ts", "tests/relay_api_test.ts"],
  "relay/proxy_worker.ts": ["tests/relay/api_workers_test.ts", "tests/relay_api_test.ts"],
  "lib/http_codec.ts": ["tests/lib/http_codec_test.ts", "tests/server/http_session_test.ts"],
  "lib/aborted_accept.ts": ["tests/server/serve_test.ts"],
  "server/server_clock.ts": ["tests/server/server_test.ts", "tests/server/serve_test.ts"],
  "relay/relay_sessions.ts": ["tests/relay/relay_test.ts", "tests/relay/fault_toxics_test.ts"],
  "scripts/option_docs.ts": ["tests/docs_test.ts"],
  "lib/buffer_budget.ts": ["tests/server/budget_test.ts"],
  "lib/collect_garbage.ts": ["tests/lib/collect_garbage_test.ts"],
  "lib/buffer_pool.ts": ["tests/lib/buffer_pool_test.ts"],
  "lib/describe_error.ts": ["tests/lib/describe_error_test.ts"],
  "client/intervals.ts": ["tests/client/intervals_test.ts"],
  "client/interval_merge.ts": ["tests/client/intervals_test.ts", "tests/client/merge_test.ts"],
  "client/interval_gather.ts": ["tests/client/intervals_test.ts"],
  "client/interval_printer.ts": ["tests/client/intervals_test.ts"],
  "client/thresholds.ts": ["tests/client/thresholds_test.ts"],
  "client/html_report.ts": ["tests/client/html_report_test.ts"],
  "client/report_charts.ts": ["tests/client/report_charts_test.ts"],
  "lib/svg_chart.ts": ["tests/lib/svg_chart_test.ts"],
  "lib/escape_xml.ts": ["tests/lib/svg_chart_test.ts", "tests/client/html_report_test.ts"],
  "lib/prometheus_text.ts": ["tests/lib/prometheus_text_test.ts"],
  "lib/union_length.ts": ["tests/client/merge_test.ts", "tests/client/intervals_test.ts"],
  "lib/round.ts": ["tests/client/report_test.ts", "tests/client/intervals_test.ts"],
  "server/server_metrics.ts": ["tests/server/metrics_test.ts"],
  "server/metrics_board.ts": ["tests/server/metrics_test.ts"],
  "server/metrics_endpoint.ts": ["tests/server/metrics_test.ts"],
  "server/traffic.ts": ["tests/server/metrics_test.ts"],
  "server/snapshot_poster.ts": ["tests/server/metrics_test.ts"],

  "lib/pool_worker.ts": ["tests/server/serve_workers_test.ts"],
  "client/connect_options.ts": ["tests/client/connect_options_test.ts"],
  "client/pipe_command.ts": ["tests/client/pipe_command_test.ts", "tests/pipe_test.ts"],
  "client/connect_command.ts": ["tests/cli_test.ts", "tests/integration_test.ts"],
  "client/connect_config.ts": ["tests/cli_test.ts", "tests/integration_test.ts"],
  "server/serve_command.ts": ["tests/cli_test.ts", "tests/unix_test.ts", "tests/fairness_test.ts"],
  "server/host.ts": ["tests/server/host_test.ts"],
  "server/host_config.ts": [
    "tests/server/serve_options_test.ts",
    "tests/relay/relay_options_test.ts",
  ],
  "server/serve_options.ts": [
    "tests/server/serve_options_test.ts",
    "tests/docs_test.ts",
    "tests/server/exec_test.ts",
  ],
  "server/serve_sessions.ts": ["tests/server/host_test.ts", "tests/server/exec_test.ts"],
  "lib/child.ts": ["tests/lib/child_test.ts", "tests/server/exec_test.ts"],
  "lib/line_buffer.ts": ["tests/lib/line_buffer_test.ts"],
  "lib/port_list.ts": ["tests/lib/port_list_test.ts"],
  "client/udp_tally.ts": ["tests/client/udp_tally_test.ts"],
  "client/udp_datagram.ts": ["tests/client/udp_tally_test.ts"],
  "relay/udp_faults.ts": ["tests/relay/udp_faults_test.ts"],
  "client/udp_run.ts": ["tests/udp_test.ts"],
  "client/udp_command.ts": ["tests/udp_test.ts"],
  "client/udp_merge.ts": ["tests/udp_test.ts"],
  "relay/udp_relay.ts": ["tests/udp_test.ts"],
  "relay/udp_relay_options.ts": ["tests/udp_test.ts"],
  "server/udp_echo.ts": ["tests/udp_test.ts"],
  "lib/datagram.ts": ["tests/udp_test.ts"],
  "lib/datagram_queue.ts": ["tests/lib/datagram_queue_test.ts", "tests/udp_test.ts"],
  "client/port_check.ts": ["tests/client/check_test.ts"],
  "client/check_command.ts": ["tests/client/check_test.ts"],
  "server/exec_session.ts": ["tests/server/exec_session_test.ts", "tests/server/exec_test.ts"],
  "server/exec_env.ts": ["tests/server/exec_session_test.ts", "tests/server/exec_test.ts"],
  "server/sessions_for.ts": ["tests/server/host_test.ts"],
  "server/run_server.ts": [
    "tests/unix_test.ts",
    "tests/integration_test.ts",
    "tests/relay_api_test.ts",
    "tests/server/serve_workers_test.ts",
  ],
  "relay/relay_command.ts": ["tests/relay/relay_options_test.ts"],
  "relay/relay_options.ts": ["tests/relay/relay_options_test.ts"],
  "lib/fair_thread.ts": ["tests/lib/fair_thread_test.ts", "tests/fairness_test.ts"],
  "lib/sysctl.ts": ["tests/lib/sysctl_test.ts"],
};

interface Counts {
  mutants: number;
  killed: number;
  timeout: number;
  survived: number;
  noCoverage: number;
  ignored: number;
  errors: number;
  seconds: number;
}

interface MutantReport {
  mutatorName: string;
  replacement?: string;
  status: string;
  statusReason?: string;
  location: { start: { line: number; column: number } };
}

function strykerDir(): string {
  const home = Deno.env.get("HOME") ?? "/tmp";
  return Deno.env.get("SOCKDEMO_STRYKER_DIR") ?? `${home}/.cache/sockdemo-stryker`;
}

async function run(cmd: string, args: string[], cwd = ROOT, quiet = false): Promise<number> {
  const child = new Deno.Command(cmd, {
    args,
    cwd,
    stdout: quiet ? "null" : "inherit",
    stderr: quiet ? "null" : "inherit",
    stdin: "null",
  }).spawn();
  return (await child.status).code;
}

async function ensureStryker(): Promise<string> {
  const dir = strykerDir();
  const bin = `${dir}/node_modules/@stryker-mutator/core/bin/stryker.js`;
  try {
    await Deno.stat(bin);
    return bin;
  } catch {
    console.log(`installing @stryker-mutator/core@${STRYKER_VERSION} into ${dir}`);
    await Deno.mkdir(dir, { recursive: true });
    const code = await run("npm", [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefix",
      dir,
      `@stryker-mutator/core@${STRYKER_VERSION}`,
    ], dir);
    if (code !== 0) throw new Error(`npm install of Stryker failed (exit ${code})`);
    return bin;
  }
}

async function stryker(bin: string, module: string, tests: string[]): Promise<Counts> {
  const work = await Deno.makeTempDir({ prefix: "sockdemo-mutants-" });
  const report = `${work}/report.json`;
  const config = {
    testRunner: "command",
    commandRunner: { command: `deno test --allow-all --no-check ${tests.join(" ")}` },
    mutate: [module],
    reporters: ["json", "progress"],
    jsonReporter: { fileName: report },
    tempDirName: `${work}/sandbox`,
    // Tests that mostly wait on timers leave the cores idle: MUTANTS_CONCURRENCY runs more at once.
    concurrency: Number(Deno.env.get("MUTANTS_CONCURRENCY")) || navigator.hardwareConcurrency,
    coverageAnalysis: "off",
    timeoutMS: 4000,
    // bench/*.c stays: tests build the C echo server from it.
    ignorePatterns: [
      "bench/*.ts",
      "bench/*.mjs",
      "bench/*.sh",
      ".ci",
      "sockdemo",
      ".kit",
      ".scratch",
    ],
    plugins: [`${strykerDir()}/node_modules/@stryker-mutator/*`],
  };
  await Deno.writeTextFile(`${work}/stryker.conf.json`, JSON.stringify(config, null, 2));
  const started = performance.now();
  const code = await run("node", [bin, "run", `${work}/stryker.conf.json`]);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`Stryker failed on ${module} (exit ${code})`);
  const json = JSON.parse(await Deno.readTextFile(report));
  const mutants: MutantReport[] = Object.values(
    json.files as Record<string, { mutants: MutantReport[] }>,
  ).flatMap((f) => f.mutants);
  const count = (status: string) => mutants.filter((m) => m.status === status).length;
  await Deno.remove(work, { recursive: true });
  const counts: Counts = {
    mutants: mutants.length,
    killed: count("Killed"),
    timeout: count("Timeout"),
    survived: count("Survived"),
    noCoverage: count("NoCoverage"),
    ignored: count("Ignored"),
    errors: count("CompileError") + count("RuntimeError"),
    seconds,
  };
  const mine: string[] = [];
  for (const m of mutants) {
    const at = `${module}:${m.location.start.line}:${m.location.start.column}`;
    if (m.status === "Survived" || m.status === "NoCoverage") {
      mine.push(`${at} ${m.mutatorName} -> ${JSON.stringify(m.replacement ?? "")}`);
    } else if (m.status === "Ignored") {
      equivalents.push(`${at} ${m.mutatorName}: ${m.statusReason ?? ""}`);
    }
  }
  if (mine.length > 0) console.log(`\nsurvivors in ${module}:\n  ${mine.join("\n  ")}`);
  survivors.push(...mine);
  return counts;
}

const survivors: string[] = [];
const equivalents: string[] = [];

function score(c: Counts): number {
  const valid = c.killed + c.timeout + c.survived + c.noCoverage;
  return valid === 0 ? 100 : ((c.killed + c.timeout) / valid) * 100;
}

function table(rows: [string, Counts][]): string {
  const head = [
    "module",
    "mutants",
    "killed",
    "timeout",
    "survived",
    "equivalent",
    "score",
    "time",
  ];
  const body = rows.map(([m, c]) => [
    m,
    String(c.mutants),
    String(c.killed),
    String(c.timeout),
    String(c.survived + c.noCoverage),
    String(c.ignored),
    `${score(c).toFixed(1)}%`,
    `${Math.round(c.seconds)} s`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) =>
    `| ${
      r.map((cell, i) => i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join(" | ")
    } |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)]
    .join("\n");
}

/** Copies the tracked and new files of the tree to a fresh folder. */
async function copyTree(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "sockdemo-named-" });
  const ls = await new Deno.Command("git", {
    args: ["ls-files", "--cached", "--others", "--exclude-standard"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  for (const path of new TextDecoder().decode(ls.stdout).split("\n").filter((p) => p !== "")) {
    const to = `${dir}/${path}`;
    await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${ROOT}/${path}`, to).catch(() => {}); // a file deleted but not staged
  }
  return dir;
}

// Runs `tests` in `dir`; true when they pass within `seconds`. Null: they were killed at
// the limit. With `show`, a failure's last lines are printed.
async function passes(dir: string, tests: readonly string[], seconds: number, show = false) {
  const child = new Deno.Command(Deno.execPath(), {
    // The first failing test is enough: a named mutant only has to fail the suite.
    args: ["test", "--allow-all", "--no-check", "--fail-fast", ...tests],
    cwd: dir,
    stdout: show ? "piped" : "null",
    stderr: show ? "piped" : "null",
    stdin: "null",
    signal: AbortSignal.timeout(seconds * 1000),
  }).spawn();
  const out = show ? await child.output() : null;
  const status = await child.status;
  if (out !== null && !status.success) {
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    console.log(text.split("\n").filter((l) => !/^\s+at /.test(l)).slice(-25).join("\n"));
  }
  return status.signal !== null ? null : status.success;
}

async function named(): Promise<boolean> {
  let all = true;
  console.log(`\nnamed mutants (${NAMED_MUTANTS.length}):`);
  // A kill means something only if the same tests pass on the tree as it is.
  const clean = await copyTree();
  const sets = [...new Set(NAMED_MUTANTS.map((m) => m.tests.join(" ")))];
  for (const set of sets) {
    if (await passes(clean, set.split(" "), 300, true) !== true) {
      console.log(`  BASELINE FAILS: ${set} does not pass on the unmutated tree`);
      all = false;
    }
  }
  await Deno.remove(clean, { recursive: true });
  if (!all) return false;
  for (const m of NAMED_MUTANTS) {
    const dir = await copyTree();
    const file = `${dir}/${m.file}`;
    const source = await Deno.readTextFile(file);
    const at = source.indexOf(m.from);
    if (at < 0 || source.indexOf(m.from, at + 1) >= 0) {
      console.log(`  STALE    ${m.name}: "${m.from}" is not in ${m.file} exactly once`);
      all = false;
      await Deno.remove(dir, { recursive: true });
      continue;
    }
    await Deno.writeTextFile(file, source.slice(0, at) + m.to + source.slice(at + m.from.length));
    const started = performance.now();
    const passed = await passes(dir, m.tests, m.withinSeconds);
    const seconds = (performance.now() - started) / 1000;
    await Deno.remove(dir, { recursive: true });
    const killed = passed !== true;
    const late = passed === null;
    all &&= killed && !late;
    const verdict = !killed ? "SURVIVED" : late ? "TOO SLOW" : "killed  ";
    console.log(`  ${verdict} ${m.name} (${seconds.toFixed(1)} s, ${m.tests.join(" ")})`);
  }
  return all;
}

if (import.meta.main) {
  const args = Deno.args.filter((a) => !a.startsWith("--"));
  const flags = new Set(Deno.args.filter((a) => a.startsWith("--")));
  const modules = args.length > 0 ? args : Object.keys(MODULES);
  for (const m of modules) {
    if (!(m in MODULES)) {
      console.error(
        `mutants: no tests are mapped for ${m}; known: ${Object.keys(MODULES).join(", ")}`,
      );
      Deno.exit(2);
    }
  }
  const started = performance.now();
  const rows: [string, Counts][] = [];
  const broken: string[] = [];
  if (!flags.has("--named-only")) {
    const bin = await ensureStryker();
    for (const m of modules) {
      // One module that cannot run (its tests fail unmutated) must not lose the others' scores.
      try {
        rows.push([m, await stryker(bin, m, MODULES[m])]);
      } catch (e) {
        broken.push(`${m}: ${(e as Error).message}`);
      }
    }
  }
  const namedOk = flags.has("--stryker-only") || args.length > 0 ? true : await named();
  if (rows.length > 0) {
    console.log(`\nmutation score per module (Stryker ${STRYKER_VERSION}):\n${table(rows)}`);
    if (survivors.length > 0) console.log(`\nsurvivors:\n  ${survivors.join("\n  ")}`);
    if (equivalents.length > 0) {
      console.log(
        `\nequivalent mutants (same behaviour), with the reason:\n  ${equivalents.join("\n  ")}`,
      );
    }
  }
  if (broken.length > 0) console.log(`\nnot run:\n  ${broken.join("\n  ")}`);
  const minutes = (performance.now() - started) / 60_000;
  console.log(`\nmutants: done in ${minutes.toFixed(1)} minutes`);
  const low = rows.filter(([, c]) => score(c) < 90).map(([m]) => m);
  if (low.length > 0) console.log(`below 90%: ${low.join(", ")}`);
  Deno.exit(low.length === 0 && broken.length === 0 && namedOk ? 0 : 1);
}
