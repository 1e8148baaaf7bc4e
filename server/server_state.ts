/**
 * What a server as a whole is doing: serving, draining, or stopping now.
 *
 * @module
 */

/** What the server as a whole is doing. */
export type ServerState =
  /** Accepting and serving. */
  | { readonly name: "serving" }
  /** Asked to stop: no longer accepting; serving the open connections until `deadline`. */
  | { readonly name: "draining"; readonly deadline: number }
  /** Stopping now: closing whatever is open, which the close lines give `cut` as the reason for. */
  | { readonly name: "stopping"; readonly cut: string };
