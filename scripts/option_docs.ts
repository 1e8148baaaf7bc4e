/**
 * The manuals' option tables, made from the commands' own option tables
 * (`deno task docs` writes them into `docs/`; `tests/docs_test.ts` fails
 * when one is out of date), so a manual cannot drift from what is parsed.
 *
 * @module
 */
import { CONNECT_SPEC } from "../client/connect_options.ts";
import { MERGE_SPEC } from "../client/merge_command.ts";
import { type CommandSpec, helpText, optionLabel, type OptionSpec } from "../lib/command_line.ts";
import { RELAY_SPEC } from "../relay/relay_options.ts";
import { SERVE_SPEC } from "../server/serve_options.ts";

/** Each command's spec and its manual. */
export const MANUALS: readonly { spec: CommandSpec; file: string }[] = [
  { spec: SERVE_SPEC, file: "docs/serve.md" },
  { spec: CONNECT_SPEC, file: "docs/connect.md" },
  { spec: RELAY_SPEC, file: "docs/relay.md" },
  { spec: MERGE_SPEC, file: "docs/merge.md" },
];

/** The marks the generated part of a manual sits between. */
export const BEGIN =
  "<!-- options: made by `deno task docs` from the option table; do not edit -->";
export const END = "<!-- end of options -->";

/** The synopsis and one Markdown table per group of `spec`'s options, as a manual shows them. */
export function optionDocs(spec: CommandSpec): string {
  const groups = new Map<string, string[]>();
  const all: Record<string, OptionSpec> = {
    ...spec.options,
    help: { short: "h", help: "show this help" },
  };
  for (const [name, option] of Object.entries(all)) {
    const group = option.group ?? "Options";
    if (!groups.has(group)) groups.set(group, []);
    const label = optionLabel(name, option).trim().replace(/\|/g, "\\|");
    const help = option.help.replace(/\n/g, " ").replace(/\|/g, "\\|");
    groups.get(group)!.push(`| \`${label}\` | ${help} |`);
  }
  const synopsis = helpText(spec).split("\n")[0];
  const tables = [...groups].map(([group, rows]) =>
    [`**${group}**`, "", "| option | meaning |", "| --- | --- |", ...rows].join("\n")
  );
  return [BEGIN, "", "```", synopsis, "```", "", ...tables.flatMap((t) => [t, ""]), END].join(
    "\n",
  );
}

/** `text` with its generated part replaced by `spec`'s; null if it has no such part. */
export function withOptionDocs(text: string, spec: CommandSpec): string | null {
  const from = text.indexOf(BEGIN), to = text.indexOf(END);
  if (from < 0 || to < from) return null;
  return text.slice(0, from) + optionDocs(spec) + text.slice(to + END.length);
}

// Stryker disable all: the task's own run, writing docs/; what it writes is withOptionDocs', tested
if (import.meta.main) {
  for (const { spec, file } of MANUALS) {
    const text = Deno.readTextFileSync(file);
    const next = withOptionDocs(text, spec);
    if (next === null) throw new Error(`${file} has no ${BEGIN} ... ${END} part`);
    Deno.writeTextFileSync(file, next);
  }
}
// Stryker restore all
