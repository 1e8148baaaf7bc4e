/**
 * A program run by fair_thread_test.ts as sockdemo's main.ts is run: it
 * prints which runtime it ran on, then exits with the code its first
 * argument gives, or throws when that is "throw".
 */
import { FairThread } from "../../lib/fair_thread.ts";

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
  } else {
    FairThread.exit(Number(Deno.args[0]));
  }
}
