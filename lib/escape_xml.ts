/**
 * `text` safe inside XML or HTML, as element text or a quoted attribute.
 *
 * @example
 * ```ts
 * import { escapeXml } from "./escape_xml.ts";
 * console.log(escapeXml(`a<b & "c"`)); // a&lt;b &amp; &quot;c&quot;
 * ```
 */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
