// Following the head: wait for a new head (polling, or newHeads over a websocket with a slower fallback poll),
// check that the checkpoint's block is still on the chain (else roll back, reorg.ts), index up to the head.

import { HeadWatcher } from "../sync/heads";
import type { IndexerCore } from "./core";
import { syncTo } from "./ranges";
import { handleReorg } from "./reorg";

/** Waits for the poll interval, or for a wake-up (a new head, stop()). */
function idle(core: IndexerCore, heads: HeadWatcher | undefined): Promise<void> {
  const ms = heads?.connected ? core.settings.pollMs * 10 : core.settings.pollMs;
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      resolve();
    }
    core.wakeUp = () => {
      core.wakeUp = undefined;
      done();
    };
  });
}

export async function follow(core: IndexerCore): Promise<void> {
  const { store, settings, logger } = core;
  core.phase = "follow";
  // The backfill bulk-loaded the tables: give the planner statistics before queries arrive.
  await store.analyze();
  let heads: HeadWatcher | undefined;
  if (settings.wsUrl) {
    heads = new HeadWatcher(settings.wsUrl, {
      onError: (error) => logger.debug({ err: error }, "newHeads websocket error"),
    });
    heads.on("head", () => core.wakeUp?.());
    heads.on("open", () => logger.debug("newHeads subscription open"));
    heads.start();
  }
  core.heads = heads;
  try {
    while (!core.stopping) {
      await idle(core, heads);
      if (core.stopping) break;
      await core.retrying(async () => {
        const checkpoint = await store.checkpoint();
        let head: number;
        if (checkpoint) {
          const r = await core.reader.headAndHeader(checkpoint.blockNumber);
          head = r.head;
          if (!r.header || r.header.hash !== checkpoint.blockHash) await handleReorg(core);
        } else head = await core.reader.head();
        core.target = head;
        await syncTo(core, head);
      });
    }
  } finally {
    heads?.stop();
    core.heads = undefined;
  }
}
