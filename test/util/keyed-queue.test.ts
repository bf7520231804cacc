import { expect } from "chai";

import { KeyedQueue } from "../../src/util/keyed-queue";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("KeyedQueue", () => {
  it("runs one key's tasks one at a time, in the order queued", async () => {
    const queue = new KeyedQueue();
    const events: string[] = [];
    const gate = deferred();
    const first = queue.run("a", async () => {
      events.push("first start");
      await gate.promise;
      events.push("first end");
      return 1;
    });
    const second = queue.run("a", () => {
      events.push("second");
      return 2;
    });
    await Promise.resolve();
    expect(events).to.deep.equal(["first start"]);
    gate.resolve();
    expect(await Promise.all([first, second])).to.deep.equal([1, 2]);
    expect(events).to.deep.equal(["first start", "first end", "second"]);
  });

  it("runs different keys concurrently", async () => {
    const queue = new KeyedQueue();
    const gate = deferred();
    const blocked = queue.run("a", () => gate.promise.then(() => "a"));
    expect(await queue.run("b", () => "b")).to.equal("b");
    gate.resolve();
    expect(await blocked).to.equal("a");
  });

  it("passes a task's failure to its caller and still runs the next task", async () => {
    const queue = new KeyedQueue();
    const failing = queue.run("a", () => {
      throw new Error("boom");
    });
    const next = queue.run("a", () => "after");
    await expect(failing).to.be.rejectedWith("boom");
    expect(await next).to.equal("after");
  });

  it("forgets a key once its last task has settled", async () => {
    const queue = new KeyedQueue();
    await queue.run("a", () => undefined);
    await Promise.resolve();
    expect(queue.size).to.equal(0);
  });
});
