/**
 * Micro-benchmarks of the readiness loop's dispatch: `deno task bench:micro`.
 * Streams whose reads and writes settle at once isolate the loop's own cost
 * per event from the network's.
 */
import { Interest, Loop, type Stream } from "../lib/loop.ts";

const EVENTS = 10_000;

function instantStream(): Stream {
  return {
    read: (buf) => Promise.resolve(Math.min(64, buf.length)),
    write: (buf) => Promise.resolve(buf.length),
    close() {},
  };
}

async function echoEvents(conns: number): Promise<void> {
  const loop = new Loop<null>();
  const keys = Array.from(
    { length: conns },
    () => loop.register(instantStream(), Interest.READ, null),
  );
  let events = 0;
  while (events < EVENTS) {
    for (const ev of await loop.select()) {
      events++;
      if (ev.type === "read") {
        ev.key.forwardInput(ev.n);
        loop.modify(ev.key, Interest.READ_WRITE);
      } else loop.modify(ev.key, Interest.READ);
    }
  }
  for (const key of keys) loop.unregister(key);
}

Deno.bench("loop: 10,000 echo events over 1 connection", { group: "dispatch" }, async () => {
  await echoEvents(1);
});
Deno.bench("loop: 10,000 echo events over 100 connections", { group: "dispatch" }, async () => {
  await echoEvents(100);
});
Deno.bench("loop: 10,000 echo events over 1,000 connections", { group: "dispatch" }, async () => {
  await echoEvents(1000);
});
