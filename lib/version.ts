/**
 * sockdemo's version, as `deno.json` gives it: for `--version` and reports.
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };

/** The version, e.g. `0.1.0`. */
export const VERSION: string = denoJson.version;
