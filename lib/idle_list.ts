/** What a member of an {@linkcode IdleList} carries: its links and when it was last active. */
export interface IdleNode {
  /** The member touched just before this one; null for the oldest. */
  idlePrev: IdleNode | null;
  /** The member touched just after this one; null for the newest. */
  idleNext: IdleNode | null;
  /** When it was last touched (a `performance.now()` time). */
  lastActive: number;
}

/**
 * Members ordered by when they were last active, oldest first: touching one
 * moves it to the end in O(1), so expiring the idle ones never scans the
 * busy ones, however many there are.
 *
 * @example
 * ```ts
 * import { IdleList, type IdleNode } from "./idle_list.ts";
 * const node = (): IdleNode => ({ idlePrev: null, idleNext: null, lastActive: 0 });
 * const list = new IdleList();
 * const a = node(), b = node();
 * list.touch(a, 1);
 * list.touch(b, 2);
 * list.touch(a, 3);
 * console.log(list.oldest === b); // true
 * ```
 */
export class IdleList<N extends IdleNode = IdleNode> {
  #head: N | null = null;
  #tail: N | null = null;
  #size = 0;

  /** Number of members. */
  get size(): number {
    return this.#size;
  }

  /** The member idle for longest, or null when empty. */
  get oldest(): N | null {
    return this.#head;
  }

  /** Marks `node` active at `now`, adding it if it is not a member. */
  touch(node: N, now: number): void {
    node.lastActive = now;
    if (this.#tail === node) return;
    this.remove(node);
    node.idlePrev = this.#tail;
    if (this.#tail !== null) this.#tail.idleNext = node;
    else this.#head = node;
    this.#tail = node;
    this.#size++;
  }

  /** Takes `node` out; a node that is not a member is left alone. */
  remove(node: N): void {
    const { idlePrev: prev, idleNext: next } = node;
    if (prev === null && this.#head !== node) return;
    if (prev !== null) prev.idleNext = next;
    else this.#head = next as N | null;
    if (next !== null) next.idlePrev = prev;
    else this.#tail = prev as N | null;
    node.idlePrev = node.idleNext = null;
    this.#size--;
  }
}
