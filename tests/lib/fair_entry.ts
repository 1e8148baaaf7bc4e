/**
 * A program run by fair_thread_test.ts as sockdemo's main.ts is run: it
 * prints which runtime it ran on, then exits with the code its first
 * argument gives; or, as that argument says, throws ("throw"), leaves a
 * rejection unhandled ("reject", "reject-text"), or fails to load in the
 * worker ("fail-to-load").
 */
import { FairThread } from "../../lib/fair_thread.ts";

if ("WorkerGlobalScope" in globalThis && Deno.args[0] === "fail-to-load") {
  throw new Error("cannot load");
}

const elsewhere = FairThread.start(new URL(import.meta.url));
if (elsewhere !== null) {
  FairThread.exit(await elsewhere);
} else {
  const events = FairThread.eventsPerTick();
  const worker = "WorkerGlobalScope" in globalThis ? "worker" : "first thread";
  console.log(`${worker}: ${events.source}${"value" in events ? ` ${events.value}` : ""}`);
  if (Deno.args[0] === "throw") {
    setTimeout(() => {
      throw new Error("boom");
    });
  } else if (Deno.args[0] === "reject") {
    Promise.reject(new TypeError("nope"));
  } else if (Deno.args[0] === "reject-text") {
    Promise.reject("plain words");
  } else {
    FairThread.exit(Number(Deno.args[0]));
  }
}
