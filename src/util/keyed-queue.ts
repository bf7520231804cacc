// One task at a time per key: what the channel manager, the voucher store and the retrieval provider need so that
// two requests for one channel or deal never interleave their read-check-write steps, while different keys run
// concurrently.

/** Runs tasks one at a time per key, in the order they were queued; a task that fails does not stop the next. */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Queues `task` behind the tasks already queued under `key`; resolves or rejects with its outcome. */
  run<T>(key: string, task: () => T | Promise<T>): Promise<T> {
    const next = (this.#tails.get(key) ?? Promise.resolve()).then(task, task);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, settled);
    // Forget the key once its last task has settled, so the map holds only keys with work in flight.
    void settled.then(() => {
      if (this.#tails.get(key) === settled) this.#tails.delete(key);
    });
    return next;
  }

  /** Keys with a task queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}
