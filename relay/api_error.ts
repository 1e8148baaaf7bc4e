/**
 * An answer of the Toxiproxy API that is an error: its status and message,
 * sent as Toxiproxy sends them, `{"error": "...", "status": N}`.
 *
 * @example
 * ```ts
 * import { ApiError } from "./api_error.ts";
 * const e = ApiError.notFound("proxy not found");
 * console.log(JSON.stringify(e)); // {"error":"proxy not found","status":404}
 * ```
 *
 * @module
 */

/** A 4xx answer, thrown where the request is found wrong and sent by the router. */
export class ApiError extends Error {
  /** The HTTP status. */
  readonly status: 400 | 403 | 404 | 405 | 409 | 500;

  /** An error answered with `status`. */
  constructor(status: ApiError["status"], message: string) {
    super(message);
    this.status = status;
  }

  /** A 400: the body or a value in it is wrong. */
  static badRequest(message: string): ApiError {
    return new ApiError(400, message);
  }

  /** A 404: no such proxy or toxic. */
  static notFound(message: string): ApiError {
    return new ApiError(404, message);
  }

  /** A 409: the name is taken. */
  static conflict(message: string): ApiError {
    return new ApiError(409, message);
  }

  /** The body Toxiproxy sends. */
  toJSON(): { error: string; status: number } {
    return { error: this.message, status: this.status };
  }
}
