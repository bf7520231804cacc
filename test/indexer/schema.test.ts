// The entity schema as metadata: what the store and the GraphQL server are generated from.

import { expect } from "chai";
import { EntitySchemaError, loadEntitySchema, parseEntitySchema, snakeCase } from "../../src/indexer";
import { poolStatusNames, workloadStatusNames } from "../../src/model/enums";

describe("indexer schema metadata", () => {
  const model = loadEntitySchema();

  it("describes every entity of subgraph/schema.graphql with its table, immutability and id type", () => {
    const summary = model.entities.map((e) => [e.name, e.table, e.immutable, e.idType]);
    expect(summary).to.deep.equal([
      ["Deal", "deal", false, "Bytes"],
      ["DealStateChange", "deal_state_change", true, "String"],
      ["Result", "result", true, "Bytes"],
      ["Mediation", "mediation", false, "Bytes"],
      ["Payment", "payment", true, "String"],
      ["Account", "account", false, "Bytes"],
      ["Service", "service", false, "Bytes"],
      ["Farm", "farm", false, "Bytes"],
      ["Node", "node", true, "Bytes"],
      ["Pool", "pool", false, "Bytes"],
      ["Workload", "workload", false, "Bytes"],
      ["CapacityPurchase", "capacity_purchase", true, "String"],
      ["ReservationNonce", "reservation_nonce", true, "Bytes"],
      ["PoolStatusChange", "pool_status_change", true, "String"],
      ["CapacityProvider", "capacity_provider", false, "Bytes"],
      ["PoolPayout", "pool_payout", true, "String"],
      ["PaymentChannel", "payment_channel", false, "Bytes"],
      ["PaymentLane", "payment_lane", false, "String"],
      ["RedeemedVoucher", "redeemed_voucher", true, "String"],
      ["ChannelFunding", "channel_funding", true, "String"],
      ["ChannelSettlement", "channel_settlement", true, "String"],
      ["DeferredChannelPayout", "deferred_channel_payout", false, "Bytes"],
      ["Operator", "operator", false, "Bytes"],
      ["QuorumMembership", "quorum_membership", false, "String"],
      ["Quorum", "quorum", false, "String"],
      ["QuorumCheckpoint", "quorum_checkpoint", false, "String"],
      ["Task", "task", false, "Bytes"],
      ["TaskResponse", "task_response", true, "Bytes"],
      ["Challenge", "challenge", true, "Bytes"],
      ["QuorumVerdict", "quorum_verdict", false, "Bytes"],
      ["BondWithdrawal", "bond_withdrawal", true, "String"],
      ["QuorumFeeCredit", "quorum_fee_credit", false, "Bytes"],
      ["Machine", "machine", false, "Bytes"],
      ["MachineChange", "machine_change", true, "String"],
      ["OracleSet", "oracle_set", true, "Bytes"],
      ["EscrowJob", "escrow_job", false, "Bytes"],
      ["QuorumAttestationRequest", "quorum_attestation_request", false, "Bytes"],
      ["EscrowAccount", "escrow_account", false, "Bytes"],
    ]);
    expect(model.enumType("AgreementState")!.values.map((v) => v.name)).to.have.length(11);
  });

  it("types fields: scalars, enums, lists, references (stored as the target's id) and @derivedFrom", () => {
    const deal = model.entity("Deal")!;
    expect(deal.field("escrow")).to.include({
      kind: "scalar",
      type: "BigInt",
      storage: "numeric",
      nonNull: true,
      list: false,
      column: "escrow",
    });
    expect(deal.field("state")).to.include({ kind: "enum", type: "AgreementState", storage: "text" });
    expect(deal.field("state")!.enumValues).to.include("TimeoutAgree");
    expect(deal.field("mediators")).to.include({
      kind: "scalar",
      type: "Bytes",
      list: true,
      itemNonNull: true,
      storage: "bytea",
    });
    expect(deal.field("jobCreator")).to.include({
      kind: "entity",
      type: "Account",
      storage: "bytea",
      scalar: "Bytes",
      column: "job_creator",
    });
    expect(deal.field("mediator")).to.include({ nonNull: false });
    expect(deal.field("payments")).to.include({
      kind: "entity",
      type: "Payment",
      list: true,
      derivedFrom: "deal",
      column: undefined,
    });
    expect(deal.field("result")).to.include({ derivedFrom: "deal", list: false });
    expect(deal.columns[0].name).to.equal("id");
    expect(deal.columns.some((c) => c.derivedFrom)).to.equal(false);
    expect(deal.field("createdAtBlock")!.column).to.equal("created_at_block");
    // A deal is referenced by its key (Bytes), its CID is a filterable text field.
    expect(model.entity("Payment")!.field("deal")).to.include({ kind: "entity", storage: "bytea", scalar: "Bytes" });
    expect(deal.field("cid")).to.include({ kind: "scalar", type: "String", storage: "text", nonNull: true });
    expect(model.entity("DealStateChange")!.field("id")).to.include({ storage: "text", scalar: "ID" });
    expect(deal.field("escrow")!.description).to.match(/market holds/);
  });

  it("types the capacity pools: the model's enums, nullable emptyAt, nodes as a list that Node.pools derives from", () => {
    expect(model.enumType("PoolStatus")!.values.map((v) => v.name)).to.deep.equal([...poolStatusNames]);
    expect(model.enumType("WorkloadStatus")!.values.map((v) => v.name)).to.deep.equal([...workloadStatusNames]);
    const pool = model.entity("Pool")!;
    expect(pool.field("emptyAt")).to.include({ type: "BigInt", nonNull: false });
    expect(pool.field("status")).to.include({ kind: "enum", type: "PoolStatus", nonNull: true });
    expect(pool.field("nodes")).to.include({ kind: "entity", type: "Node", list: true, storage: "bytea" });
    expect(model.entity("Node")!.field("pools")).to.include({ derivedFrom: "nodes", list: true });
    expect(model.entity("Workload")!.field("provider")).to.include({ kind: "entity", type: "Account", nonNull: true });
  });

  it("has a stable fingerprint of the stored shape", () => {
    const sdl = `type A @entity { id: ID! n: BigInt! }`;
    expect(parseEntitySchema(sdl).fingerprint).to.equal(
      parseEntitySchema(`"doc" type A @entity { "x" id: ID! n: BigInt! }`).fingerprint,
    );
    expect(parseEntitySchema(sdl).fingerprint).to.not.equal(
      parseEntitySchema(`type A @entity { id: ID! n: Int! }`).fingerprint,
    );
  });

  it("rejects what it cannot store", () => {
    const bad = [
      `type A { id: ID! }`,
      `type A @entity { n: Int }`,
      `type A @entity { id: Boolean! }`,
      `type A @entity { id: ID! b: Nope }`,
      `type A @entity { id: ID! b: [[Int]] }`,
      `type A @entity { id: ID! blockFrom: Int }`,
      `type A @entity { id: ID! x: Int @derivedFrom(field: "a") }`,
      `type A @entity { id: ID! bs: [B!]! @derivedFrom(field: "nope") } type B @entity { id: ID! }`,
      `interface I { id: ID! }`,
      `type A @entity { id: ID! `,
    ];
    for (const sdl of bad) expect(() => parseEntitySchema(sdl), sdl).to.throw(EntitySchemaError);
  });

  it("maps names to snake_case", () => {
    expect(["DealStateChange", "createdAtBlock", "id", "isJobCreator", "URLValue"].map(snakeCase)).to.deep.equal([
      "deal_state_change",
      "created_at_block",
      "id",
      "is_job_creator",
      "url_value",
    ]);
  });
});
