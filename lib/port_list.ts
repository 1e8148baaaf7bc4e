/**
 * Port lists as `nc -z` takes them: `80`, `20-30`, `22,80,8000-8010`.
 *
 * @module
 */
import { BadValue } from "./checks.ts";

/**
 * The ports `text` names, in the order given, each once; throws a
 * `BadValue` saying what is wrong (not a port, a range backwards, empty).
 *
 * @example
 * ```ts
 * import { parsePorts } from "./port_list.ts";
 * console.log(parsePorts("22,80-82")); // [22, 80, 81, 82]
 * ```
 */
export function parsePorts(text: string): number[] {
  const ports = new Set<number>();
  for (const part of text.split(",")) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (range === null) {
      throw new BadValue(`"${part}" is not a port or a range of ports (e.g. 80, 20-30, 22,80)`);
    }
    const first = port(range[1]), last = range[2] === undefined ? first : port(range[2]);
    if (last < first) throw new BadValue(`the range ${part} runs backwards: give ${last}-${first}`);
    for (let p = first; p <= last; p++) ports.add(p);
  }
  return [...ports];
}

function port(text: string): number {
  const n = Number(text);
  if (n < 1 || n > 65535) throw new BadValue(`port ${text} is out of range 1-65535`);
  return n;
}
