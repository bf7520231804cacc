// The small entity model the writer's and the pipeline's tests run on: a mutable Thing and an immutable Mark that
// references it, with ids and checkpoints for them.

import { parseEntitySchema } from "../../../src/indexer";

export const thingModel = parseEntitySchema(`
  type Thing @entity(immutable: false) { id: Bytes! name: String! note: String count: Int! }
  type Mark @entity(immutable: true) { id: ID! thing: Thing! }
`);

export const A = "0x" + "aa".repeat(20);
export const B = "0x" + "bb".repeat(20);
export const C = "0x" + "cc".repeat(20);

/** The checkpoint of block `n` (its hash made from the number). */
export const checkpoint = (n: number) => ({
  blockNumber: n,
  blockHash: "0x" + n.toString(16).padStart(64, "0"),
  timestamp: n,
});
