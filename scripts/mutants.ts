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
import { MODULES } from "./mutant_modules.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const STRYKER_VERSION = "8.7.1";

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
