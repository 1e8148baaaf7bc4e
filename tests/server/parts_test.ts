/**
 * The parts the server dispatches over, each on its own: the door
 * (admission), the connection table, the budget governor, the heap's tidy
 * and the stats line. Times are plain numbers here: no clock, no loop.
 */
import assert from "node:assert/strict";
import { ConnTally } from "../../lib/conn_tally.ts";
import { Log } from "../../lib/log.ts";
import { Admission } from "../../server/admission.ts";
import { BudgetGovernor } from "../../server/budget_governor.ts";
import { type Connection, newConnection } from "../../server/connection.ts";
import { ConnectionTable } from "../../server/connection_table.ts";
import { newEntrance } from "../../server/entrance.ts";
import { EchoSession } from "../../server/echo.ts";
import { HeapTidy } from "../../server/heap_tidy.ts";
import type { Session } from "../../server/session.ts";
import { fakeKey } from "../fake_key.ts";
import { captureLog } from "../harness.ts";

function conn(n: number, session: Session = new EchoSession(), refused = false): Connection {
  const c = newConnection(n, session, refused, newEntrance({ newSession: () => session }));
  c.key = fakeKey() as unknown as Connection["key"];
  return c;
}

Deno.test("admission: numbers from 1, one limit, and --refuse asked per number", () => {
  const asked: number[] = [];
  const door = new Admission({ maxConns: 2 });
  const entrance = {
    newSession: () => new EchoSession(),
    admit: (n: number) => {
      asked.push(n);
      return n === 2 ? "--refuse 0.5" : null;
    },
  };
  assert.deepEqual([door.nextNumber(), door.nextNumber(), door.nextNumber()], [1, 2, 3]);
  assert.equal(door.turnAway(1, entrance), null);
  assert.equal(door.turnAway(2, entrance), "--refuse 0.5");
  assert.deepEqual(asked, [1, 2]);
  assert.deepEqual([door.tryOpen(), door.tryOpen(), door.tryOpen()], [true, true, false]);
  assert.equal(door.open, 2);
  door.closed();
  assert.equal(door.open, 1);
  assert.equal(door.tryOpen(), true);
  const plain = { newSession: () => new EchoSession() };
  assert.equal(new Admission({}).turnAway(1, plain), null, "without --refuse everyone is served");
});

Deno.test("admission: workers share one numbering and one limit through the tally", () => {
  const shared = new SharedArrayBuffer(ConnTally.bytes(2));
  const a = new Admission({ maxConns: 1, tally: new ConnTally(shared, 0) });
  const b = new Admission({ maxConns: 1, tally: new ConnTally(shared, 1) });
  assert.deepEqual([a.nextNumber(), b.nextNumber(), a.nextNumber()], [1, 2, 3]);
  assert.equal(a.tryOpen(), true);
  assert.equal(b.tryOpen(), false, "the other worker's connection counts");
});

Deno.test("admission: refusals linger 1 s by default, 64 at most, oldest out first", () => {
  const door = new Admission({});
  const entrance = { newSession: () => new EchoSession(), refusal: () => new EchoSession() };
  assert.equal(door.lingerDeadline, Infinity);
  assert.equal(door.expired(1e9), null);
  const lingering: Connection[] = [];
  for (let i = 0; i < 64; i++) {
    assert.notEqual(door.refusal(i + 1, entrance), null);
    const c = conn(i + 1, new EchoSession(), true);
    door.linger(c, 100 + i);
    lingering.push(c);
  }
  assert.equal(door.refusal(65, entrance), null, "the 65th is closed at once");
  assert.equal(door.lingering, 64);
  assert.equal(door.lingerDeadline, 1100);
  assert.equal(door.expired(1099), null);
  assert.equal(door.expired(1100), lingering[0]);
  door.unlinger(lingering[0]);
  assert.equal(door.lingerDeadline, 1101);
  assert.notEqual(door.refusal(66, entrance), null, "room again");
  const plain = { newSession: () => new EchoSession() };
  assert.equal(new Admission({}).refusal(1, plain), null, "no refusal session: closed at once");
  const short = new Admission({ refusalLinger: 0.25, maxLingering: 1 });
  short.linger(conn(1, new EchoSession(), true), 0);
  assert.equal(short.lingerDeadline, 250);
  assert.equal(short.refusal(2, entrance), null);
});

Deno.test("connection table: the idle order, its deadline, and no idle order without a timeout", () => {
  const table = new ConnectionTable(1000);
  const [a, b] = [conn(1), conn(2)];
  table.add(a, 0);
  table.add(b, 10);
  assert.equal(table.size, 2);
  assert.equal(table.idleDeadline, 1000);
  assert.equal(table.expired(999), null);
  assert.equal(table.expired(1000), a);
  table.touch(a, 500);
  assert.equal(table.idleDeadline, 1010, "b is the oldest now");
  assert.equal(table.expired(1010), b);
  assert.equal(table.remove(b), true);
  assert.equal(table.remove(b), false, "not in twice");
  assert.equal(table.idleDeadline, 1500);
  assert.deepEqual([...table], [a]);
  const never = new ConnectionTable(0);
  never.add(a, 0);
  never.touch(a, 5);
  assert.equal(never.idleDeadline, Infinity);
  assert.equal(never.expired(1e12), null);
  assert.equal(never.size, 1);
});

Deno.test("budget governor: charges, stops reads on the biggest while bound, tells the waiting, clears", () => {
  const { log, out } = captureLog();
  const waited: [number, number][] = [];
  const cleared: number[][] = [];
  let clock = 0;
  const governor = new BudgetGovernor(1000, 5000, log, {
    now: () => clock,
    waiting: (c, at) => waited.push([c.number, at]),
    cleared: (conns) => cleared.push(conns.map((c) => c.number)),
  });
  // An app-like session can be told it is overloaded; an echo session cannot.
  const app = conn(1, Object.assign(new EchoSession(), { overloaded: () => false }));
  const echo = conn(2);
  assert.equal(governor.mayRead(app, 400, 2), true);
  assert.equal(governor.mayRead(echo, 700, 2), false, "1,100 held of 1,000: bound");
  assert.match(out[0], /^Buffer budget of 1000 bytes reached \(1100 held, 2 open connections\)/);
  clock = 10;
  assert.equal(governor.mayRead(app, 400, 2), false, "400 is over a share / 64");
  assert.deepEqual(waited, [[1, 5010]], "only the session that can say busy waits for it");
  clock = 20;
  assert.equal(governor.mayRead(app, 400, 2), false);
  assert.deepEqual(waited, [[1, 5010]], "still waiting since 10: not scheduled again");
  assert.equal(governor.overdue(app, 5009), false);
  assert.equal(governor.overdue(app, 5010), true);
  assert.equal(governor.overdue(echo, 1e9), true);
  assert.equal(governor.mayRead(app, 5, 2), true, "holding almost nothing, it may read");
  assert.equal(governor.overdue(app, 1e9), false, "let read again: not waiting any more");
  governor.release(echo, 1);
  assert.equal(echo.held, 0);
  assert.match(out[1], /^Buffer budget clear \(5 held\): reading from every connection again$/);
  assert.deepEqual(cleared, [[]], "nobody was still throttled");
});

Deno.test("budget governor: its figures for metrics: the limit, what is held, each bind, the paused", () => {
  const governor = new BudgetGovernor(1000, 5000, new Log("quiet"), {
    now: () => 0,
    waiting: () => {},
    cleared: () => {},
  });
  assert.deepEqual(governor.figures, { limit: 1000, held: 0, binds: 0, throttled: 0 });
  const a = conn(1), b = conn(2);
  governor.mayRead(a, 400, 2);
  governor.mayRead(b, 700, 2); // 1,100 held: bound, and b is paused
  assert.deepEqual(governor.figures, { limit: 1000, held: 1100, binds: 1, throttled: 1 });
  governor.release(b, 1); // 400 held: clear
  governor.mayRead(a, 1200, 1); // bound again
  assert.deepEqual(governor.figures, { limit: 1000, held: 1200, binds: 2, throttled: 1 });
});

Deno.test("budget governor: one for a server with --max-buffer, none without; 5 s to busy unless told", () => {
  const hooks = { now: () => 0, waiting: () => {}, cleared: () => {} };
  const log = new Log("quiet");
  assert.equal(BudgetGovernor.forServer({ log }, hooks), null);
  assert.equal(BudgetGovernor.forServer({ log, maxBuffer: 0 }, hooks), null);
  const plain = BudgetGovernor.forServer({ log, maxBuffer: 1000 }, hooks)!;
  assert.equal(plain.figures.limit, 1000);
  assert.equal(plain.busyMs, 5000);
  assert.equal(
    BudgetGovernor.forServer({ log, maxBuffer: 10, busyTimeout: 2 }, hooks)!.busyMs,
    2000,
  );
  assert.equal(BudgetGovernor.forServer({ log, maxBuffer: 10, busyTimeout: 0 }, hooks)!.busyMs, 0);
});

Deno.test("budget governor: its lines in JSON", () => {
  const { log, out } = captureLog("normal", "json");
  const governor = new BudgetGovernor(100, 5000, log, {
    now: () => 0,
    waiting: () => {},
    cleared: () => {},
  });
  const a = conn(1);
  governor.mayRead(a, 150, 1);
  governor.release(a, 0);
  assert.deepEqual(out.map((l) => JSON.parse(l)).map(({ time: _, ...rest }) => rest), [
    { level: "info", event: "budget_bound", limit: 100, held: 150, open: 1 },
    { level: "info", event: "budget_clear", limit: 100, held: 0, open: 0 },
  ]);
});

Deno.test("budget governor: a clear lets every throttled connection read again", () => {
  const cleared: number[][] = [];
  const governor = new BudgetGovernor(100, 5000, new Log("quiet"), {
    now: () => 0,
    waiting: () => {},
    cleared: (conns) => cleared.push(conns.map((c) => c.number)),
  });
  const [a, b, c] = [conn(1), conn(2), conn(3)];
  assert.equal(governor.mayRead(a, 40, 3), true);
  assert.equal(governor.mayRead(b, 40, 3), true);
  assert.equal(governor.mayRead(c, 40, 3), false, "120 of 100: bound");
  assert.equal(governor.mayRead(a, 40, 3), false);
  assert.equal(governor.mayRead(b, 40, 3), false);
  governor.release(c, 2);
  assert.deepEqual(cleared, [], "80 held: above the low mark, still bound");
  assert.equal(governor.mayRead(a, 0, 2), true, "40 held: clear");
  assert.deepEqual(cleared, [[1, 2]], "both throttled ones are looked at again");
  assert.ok(governor.readSize(10) >= 8192, "reads are never sized under 8 KiB");
});

Deno.test("heap tidy: after 1,000 connections and a quiet second, one collection", () => {
  let runs = 0;
  const tidy = new HeapTidy(() => {
    runs++;
    return true;
  });
  for (let i = 0; i < 999; i++) tidy.churned();
  tidy.heard(50);
  assert.equal(tidy.dueAt, Infinity);
  assert.equal(tidy.collect(1e9), 0);
  tidy.churned();
  assert.equal(tidy.dueAt, 1050);
  assert.equal(tidy.collect(1049), 0, "not quiet yet");
  assert.equal(tidy.collect(1050), 1000);
  assert.equal(runs, 1);
  assert.equal(tidy.dueAt, Infinity, "counted afresh");
  for (let i = 0; i < 1000; i++) tidy.churned();
  assert.equal(new HeapTidy(() => false).collect(0), 0);
});

Deno.test("connection: a new one carries its entrance and its own timer entries, made once", () => {
  const session = new EchoSession();
  const entrance = newEntrance({ newSession: () => session });
  const c = newConnection(5, session, true, entrance);
  assert.equal(c.number, 5);
  assert.equal(c.session, session);
  assert.equal(c.refused, true);
  assert.equal(c.entrance, entrance);
  assert.deepEqual(c.tickDue, { kind: "tick", conn: c, at: Infinity, slot: -1 });
  assert.deepEqual(c.busyDue, { kind: "busy", conn: c, at: Infinity, slot: -1 });
  assert.equal(c.held, 0);
  assert.equal(c.throttledSince, null);
  assert.equal(c.key, null);
  assert.equal(c.dialed, null);
});
