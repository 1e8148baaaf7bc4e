import assert from "node:assert/strict";
import { IdleList, type IdleNode } from "../../lib/idle_list.ts";

const node = (): IdleNode => ({ idlePrev: null, idleNext: null, lastActive: 0 });

Deno.test("idle list: oldest first, touching moves to the end, size counts members once", () => {
  const list = new IdleList();
  const [a, b, c] = [node(), node(), node()];
  assert.equal(list.size, 0);
  assert.equal(list.oldest, null);
  list.touch(a, 1);
  list.touch(b, 2);
  list.touch(c, 3);
  assert.equal(list.size, 3);
  list.touch(a, 4);
  list.touch(a, 5); // already the newest
  assert.equal(list.size, 3);
  assert.equal(list.oldest, b);
  list.remove(b);
  list.remove(b); // not a member any more: nothing happens
  assert.equal(list.size, 2);
  assert.equal(list.oldest, c);
  list.remove(a);
  list.remove(c);
  assert.equal(list.size, 0);
  assert.equal(list.oldest, null);
  list.touch(b, 6);
  assert.equal(list.oldest, b);
  assert.equal(b.lastActive, 6);
});
