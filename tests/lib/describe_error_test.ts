import assert from "node:assert/strict";
import { describeError } from "../../lib/describe_error.ts";

Deno.test("describeError: a missing permission names the flag Deno asks for", () => {
  const write = new Deno.errors.NotCapable(
    'Requires write access to "/tmp/q.sock", run again with the --allow-write flag',
  );
  assert.equal(describeError(write), "not permitted (run with --allow-write)");
  assert.equal(
    describeError(new Deno.errors.NotCapable("no")),
    "not permitted (run with --allow-net)",
  );
});

Deno.test("describeError: a peer that closes without a TLS close_notify, in a few words", () => {
  const e = new Error(
    "peer closed connection without sending TLS close_notify: https://docs.rs/rustls/latest/rustls/manual/_03_howto/index.html#unexpected-eof",
  );
  assert.equal(describeError(e), "closed without a TLS close_notify");
});

Deno.test("describeError: known socket errors, then the first line without the errno", () => {
  assert.equal(describeError(new Deno.errors.ConnectionRefused("x")), "connection refused");
  assert.equal(describeError(new Deno.errors.NotFound("x")), "no such file or directory");
  assert.equal(describeError(new Error("Something odd (os error 71)\nmore")), "something odd");
});
