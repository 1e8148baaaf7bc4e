/**
 * Toxiproxy's toxics as its API describes them: a type, a direction, a
 * toxicity and the type's attributes in its units, read from a JSON body
 * and checked whole before anything changes. Every number is a bounded
 * integer (toxicity a share), every field known: a typo is a 400 that
 * names the field, never a silent default.
 *
 * @example
 * ```ts
 * import { parseToxic } from "./toxic_spec.ts";
 * const toxic = parseToxic('{"type":"latency","attributes":{"latency":100}}');
 * // { name: "latency_downstream", type: "latency", stream: "downstream", toxicity: 1,
 * //   attributes: { latency: 100, jitter: 0 } }
 * ```
 *
 * @module
 */
import { ApiError } from "./api_error.ts";

/** The toxics Toxiproxy has, by their API names. */
export type ToxicType =
  | "latency"
  | "bandwidth"
  | "slow_close"
  | "timeout"
  | "reset_peer"
  | "slicer"
  | "limit_data"
  | "noop"
  // sockdemo's own, for its command-line faults (and anyone's use):
  | "reset_after"
  | "stall_after"
  | "refuse";

/** `upstream`: client to target; `downstream`: target to client. */
export type Direction = "upstream" | "downstream";

/** A toxic as the API shows it. */
export interface ToxicSpec {
  readonly name: string;
  readonly type: ToxicType;
  readonly stream: Direction;
  /** The share of connections it applies to, 0 to 1. */
  readonly toxicity: number;
  readonly attributes: Readonly<Record<string, number>>;
}

/** One attribute: its least and greatest value, the unit the API gives it in, and whether it must be given. */
interface Attribute {
  readonly min: number;
  readonly max: number;
  readonly unit: string;
  readonly required?: boolean;
}

const MS = { min: 0, max: 2_147_483_647, unit: "ms" };
const BYTES = { min: 0, max: Number.MAX_SAFE_INTEGER, unit: "bytes", required: true };

/**
 * Each type's attributes, in Toxiproxy's names and units; one not required
 * defaults to its least value. Past Toxiproxy's own: `reset_after` (once
 * `bytes` passed, reset both legs), `stall_after` (once `bytes` passed,
 * drop what comes and keep the connection open) and `refuse` (close its
 * share of new connections at once; the share is its toxicity).
 */
export const ATTRIBUTES: Readonly<Record<ToxicType, Readonly<Record<string, Attribute>>>> = {
  latency: { latency: MS, jitter: MS },
  bandwidth: { rate: { min: 1, max: 1e9, unit: "KB/s", required: true } },
  slow_close: { delay: MS },
  timeout: { timeout: MS },
  reset_peer: { timeout: MS },
  slicer: {
    average_size: { min: 1, max: 1 << 20, unit: "bytes", required: true },
    size_variation: { min: 0, max: 1 << 20, unit: "bytes" },
    delay: { min: 0, max: 2_147_483_647_000, unit: "µs" },
  },
  limit_data: { bytes: BYTES },
  noop: {},
  reset_after: { bytes: BYTES },
  stall_after: { bytes: BYTES },
  refuse: {},
};

const TYPES = Object.keys(ATTRIBUTES) as ToxicType[];
const CREATE_FIELDS = ["name", "type", "stream", "toxicity", "attributes"];

/** The toxic a create request's `body` describes; throws an {@linkcode ApiError} (400) when it cannot be one. */
export function parseToxic(body: string): ToxicSpec {
  const input = jsonObject(body, "toxic");
  onlyFields(input, CREATE_FIELDS, "a toxic");
  const type = input.type;
  if (!TYPES.includes(type as ToxicType)) {
    throw ApiError.badRequest(
      `invalid toxic type: ${JSON.stringify(type ?? null)} (one of ${TYPES.join(", ")})`,
    );
  }
  const stream = input.stream ?? "downstream";
  if (stream !== "upstream" && stream !== "downstream") {
    throw ApiError.badRequest(
      `stream was invalid, can be either upstream or downstream: ${JSON.stringify(stream)}`,
    );
  }
  const name = input.name ?? "";
  if (typeof name !== "string") throw ApiError.badRequest("name must be a string");
  const toxic: ToxicSpec = {
    name: name === "" ? `${type}_${stream}` : name,
    type: type as ToxicType,
    stream,
    toxicity: toxicity(input.toxicity ?? 1),
    attributes: attributes(type as ToxicType, input.attributes ?? {}, defaults(type as ToxicType)),
  };
  if (toxic.name.includes("/")) {
    throw ApiError.badRequest(`a toxic's name cannot hold "/": ${toxic.name}`);
  }
  return toxic;
}

/**
 * `old` with what an update request's `body` changes: its toxicity and any
 * of its attributes (the others stay); its name, type and stream are fixed.
 */
export function updateToxic(old: ToxicSpec, body: string): ToxicSpec {
  const input = jsonObject(body, "toxic");
  onlyFields(input, CREATE_FIELDS, "a toxic");
  for (const fixed of ["name", "type", "stream"] as const) {
    if (input[fixed] !== undefined && input[fixed] !== old[fixed]) {
      throw ApiError.badRequest(
        `a toxic's ${fixed} cannot change (${old[fixed]}): remove it and add another`,
      );
    }
  }
  return {
    ...old,
    toxicity: input.toxicity === undefined ? old.toxicity : toxicity(input.toxicity),
    attributes: attributes(old.type, input.attributes ?? {}, old.attributes),
  };
}

/** `body` parsed as a JSON object; throws a 400 saying why not. */
export function jsonObject(body: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    throw ApiError.badRequest(`bad request body: ${(e as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw ApiError.badRequest(`bad request body: a ${what} is a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Throws a 400 naming the first field of `input` not among `known`. */
export function onlyFields(input: Record<string, unknown>, known: string[], what: string): void {
  for (const field of Object.keys(input)) {
    if (!known.includes(field)) {
      throw ApiError.badRequest(`unknown field for ${what}: ${field} (known: ${known.join(", ")})`);
    }
  }
}

function defaults(type: ToxicType): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, attr] of Object.entries(ATTRIBUTES[type])) {
    if (attr.required !== true) out[name] = attr.min;
  }
  return out;
}

function toxicity(value: unknown): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw ApiError.badRequest(
      `toxicity must be a number from 0 to 1, not ${JSON.stringify(value)}`,
    );
  }
  return value;
}

// `given` over `base`, every value checked, then the checks across attributes.
function attributes(type: ToxicType, given: unknown, base: Readonly<Record<string, number>>) {
  // (null came in as {}: `attributes: null` leaves them as they are.)
  if (typeof given !== "object" || Array.isArray(given)) {
    throw ApiError.badRequest("attributes must be a JSON object");
  }
  const known = ATTRIBUTES[type], out = { ...base };
  for (const [name, value] of Object.entries(given as Record<string, unknown>)) {
    const attr = known[name];
    if (attr === undefined) {
      const names = Object.keys(known);
      throw ApiError.badRequest(
        `${type} has no attribute ${name}` +
          (names.length > 0 ? ` (it has ${names.join(", ")})` : ""),
      );
    }
    if (
      !Number.isSafeInteger(value) || (value as number) < attr.min || (value as number) > attr.max
    ) {
      throw ApiError.badRequest(
        `${type} ${name} must be a whole number of ${attr.unit} from ${attr.min} to ${attr.max}, ` +
          `not ${JSON.stringify(value)}`,
      );
    }
    out[name] = value as number;
  }
  for (const [name, attr] of Object.entries(known)) {
    // Only a required one has no default.
    if (out[name] === undefined) {
      throw ApiError.badRequest(
        `missing required field: ${type} needs attribute ${name} (${attr.unit})`,
      );
    }
  }
  // Only the slicer has both.
  if (out.size_variation >= out.average_size) {
    throw ApiError.badRequest(
      `slicer size_variation (${out.size_variation}) must be under its average_size (${out.average_size})`,
    );
  }
  return out;
}
