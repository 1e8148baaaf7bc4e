/**
 * The manuals under `docs/` against the commands' option tables: a manual
 * whose option table is out of date fails here (`deno task docs` rewrites it).
 */
import assert from "node:assert/strict";
import { BEGIN, END, MANUALS, optionDocs, withOptionDocs } from "../scripts/option_docs.ts";

// `deno fmt` aligns Markdown tables and wraps prose: compare cells and words, not padding.
function normalize(text: string): string {
  return text.split("\n").map((line) =>
    line.startsWith("|")
      ? line.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/^-+$/, "-")).join("|")
      : line.trimEnd()
  ).join("\n");
}

// As `normalize`, with every line break and run of spaces as one space.
function words(text: string): string {
  return normalize(text).replace(/\s+/g, " ");
}

const root = new URL("../", import.meta.url);

for (const { spec, file } of MANUALS) {
  Deno.test(`docs: ${file} lists exactly the options of "sockdemo ${spec.name}"`, () => {
    const text = Deno.readTextFileSync(new URL(file, root));
    const from = text.indexOf(BEGIN), to = text.indexOf(END);
    assert.ok(from >= 0 && to > from, `${file} lacks its generated option table`);
    assert.equal(
      words(text.slice(from, to + END.length)),
      words(optionDocs(spec)),
      `${file} is out of date: run "deno task docs"`,
    );
  });
}

Deno.test("docs: the serve manual's table, written out for two rows", () => {
  // A check on the generator itself: the rows a user reads, from the spec's words.
  const text = Deno.readTextFileSync(new URL("docs/serve.md", root));
  assert.match(
    normalize(text),
    /^\|`-p, --port PORT`\|port to listen on, 0 for any free one \(default 65432\)\|$/m,
  );
  assert.match(
    normalize(text),
    /^\|`-q, --quiet`\|no per-connection lines: errors, the address and the summary only\|$/m,
  );
});

Deno.test("docs: every link between the README and the manuals reaches a file", () => {
  for (
    const name of [
      "README.md",
      ...MANUALS.map((m) => m.file),
      "docs/design.md",
      "docs/performance.md",
    ]
  ) {
    const text = Deno.readTextFileSync(new URL(name, root));
    const base = new URL(name, root);
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+\.md)(?:#[^)]*)?\)/g)) {
      const path = new URL(target, base);
      assert.ok(Deno.statSync(path).isFile, `${name} links to ${target}, which is missing`);
    }
  }
});

Deno.test("docs: a manual for each command; the generated part alone is replaced, bars escaped", () => {
  assert.deepEqual(MANUALS.map((m) => [m.spec.name, m.file]), [
    ["serve", "docs/serve.md"],
    ["connect", "docs/connect.md"],
    ["relay", "docs/relay.md"],
    ["merge", "docs/merge.md"],
  ]);
  const spec = {
    name: "demo",
    about: "A demo.",
    options: { mode: { value: "A|B", help: "either a|b" } },
  } as const;
  const table = optionDocs(spec);
  assert.ok(table.includes("| `--mode A\\|B` | either a\\|b |"), table);
  const manual = `# Demo\n\nbefore\n${BEGIN}\nold\n${END}\nafter\n`;
  assert.equal(withOptionDocs(manual, spec), `# Demo\n\nbefore\n${table}\nafter\n`);
  assert.equal(withOptionDocs("no marks", spec), null);
  assert.equal(withOptionDocs(`${END}\n${BEGIN}`, spec), null, "marks out of order");
  assert.equal(withOptionDocs(`${BEGIN} only`, spec), null);
  assert.equal(withOptionDocs(`${BEGIN}${END}`, spec), table, "nothing around it");
});
