// The generated query schema follows graph-node's API schema generation: field names, collection arguments,
// filter operators per field type, orderBy values, Block_height and _meta.

import { expect } from "chai";
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isObjectType,
  type GraphQLField,
  type GraphQLSchema,
} from "graphql";
import { buildApiSdl } from "../../src/server/sdl";
import { lowerCamel, pluralField, pluralize, singularField } from "../../src/server/naming";
import { parseEntitySchema } from "../../src/server/entities";
import { model } from "./helpers";

const api = buildApiSdl(model, { subscriptions: true });
const schema: GraphQLSchema = buildSchema(api.sdl);

function filterKeys(type: string): string[] {
  const t = schema.getType(`${type}_filter`);
  if (!isInputObjectType(t)) throw new Error(`${type}_filter missing`);
  return Object.keys(t.getFields());
}

function keysOf(type: string, field: string): string[] {
  return filterKeys(type).filter(
    (k) => k === field || (k.startsWith(`${field}_`) && !k.slice(field.length + 1).match(/^[A-Z]/)),
  );
}

function filterType(type: string, key: string): string {
  const t = schema.getType(`${type}_filter`);
  if (!isInputObjectType(t)) throw new Error("missing");
  return String(t.getFields()[key].type);
}

function queryField(name: string): GraphQLField<unknown, unknown> {
  return schema.getQueryType()!.getFields()[name];
}

describe("server: generated schema", () => {
  it("names query fields as graph-node does (lower camel singular and Inflector plural)", () => {
    const fields = Object.keys(schema.getQueryType()!.getFields());
    expect(fields).to.deep.equal([
      "deal",
      "deals",
      "dealStateChange",
      "dealStateChanges",
      "result",
      "results",
      "mediation",
      "mediations",
      "payment",
      "payments",
      "account",
      "accounts",
      "service",
      "services",
      "farm",
      "farms",
      "node",
      "nodes",
      "pool",
      "pools",
      "workload",
      "workloads",
      "capacityPurchase",
      "capacityPurchases",
      "reservationNonce",
      "reservationNonces",
      "poolStatusChange",
      "poolStatusChanges",
      "capacityProvider",
      "capacityProviders",
      "poolPayout",
      "poolPayouts",
      "paymentChannel",
      "paymentChannels",
      "paymentLane",
      "paymentLanes",
      "redeemedVoucher",
      "redeemedVouchers",
      "channelFunding",
      "channelFundings",
      "channelSettlement",
      "channelSettlements",
      "deferredChannelPayout",
      "deferredChannelPayouts",
      "operator",
      "operators",
      "quorumMembership",
      "quorumMemberships",
      "quorum",
      "quorums",
      "quorumCheckpoint",
      "quorumCheckpoints",
      "task",
      "tasks",
      "taskResponse",
      "taskResponses",
      "challenge",
      "challenges",
      "quorumVerdict",
      "quorumVerdicts",
      "bondWithdrawal",
      "bondWithdrawals",
      "quorumFeeCredit",
      "quorumFeeCredits",
      "machine",
      "machines",
      "machineChange",
      "machineChanges",
      "oracleSet",
      "oracleSets",
      "escrowJob",
      "escrowJobs",
      "quorumAttestationRequest",
      "quorumAttestationRequests",
      "escrowAccount",
      "escrowAccounts",
      "_meta",
    ]);
    expect(pluralize("Entry")).to.equal("Entries");
    expect(pluralize("Box")).to.equal("Boxes");
    expect(pluralize("Status")).to.equal("Statuses");
    expect(pluralize("Day")).to.equal("Days");
    expect(pluralize("Wolf")).to.equal("Wolves");
    expect(pluralize("Analysis")).to.equal("Analyses");
    // Inflector's rules are case-sensitive, so capitalised irregulars stay regular, as on graph-node.
    expect(pluralize("Person")).to.equal("Persons");
    expect(pluralField("TokenDayData")).to.equal("tokenDayDatas");
    expect(singularField("ERC20Token")).to.equal("erc20Token");
    expect(singularField("Token0abc")).to.equal("token0Abc");
    expect(lowerCamel("Pool")).to.equal("pool");
  });

  it("gives single and collection fields graph-node's arguments and defaults", () => {
    const deal = queryField("deal");
    expect(deal.args.map((a) => `${a.name}: ${String(a.type)}`)).to.deep.equal([
      "id: ID!",
      "block: Block_height",
      "subgraphError: _SubgraphErrorPolicy_!",
    ]);
    expect(String(deal.type)).to.equal("Deal");
    const deals = queryField("deals");
    expect(deals.args.map((a) => `${a.name}: ${String(a.type)}`)).to.deep.equal([
      "skip: Int",
      "first: Int",
      "orderBy: Deal_orderBy",
      "orderDirection: OrderDirection",
      "where: Deal_filter",
      "block: Block_height",
      "subgraphError: _SubgraphErrorPolicy_!",
    ]);
    expect(deals.args.find((a) => a.name === "skip")!.defaultValue).to.equal(0);
    expect(deals.args.find((a) => a.name === "first")!.defaultValue).to.equal(100);
    expect(deals.args.find((a) => a.name === "subgraphError")!.defaultValue).to.equal("deny");
    expect(String(deals.type)).to.equal("[Deal!]!");
  });

  it("gives list fields that reference entities collection arguments, derived or not", () => {
    const deal = schema.getType("Deal");
    if (!isObjectType(deal)) throw new Error("Deal");
    const stateChanges = deal.getFields().stateChanges;
    expect(stateChanges.args.map((a) => `${a.name}: ${String(a.type)}`)).to.deep.equal([
      "skip: Int",
      "first: Int",
      "orderBy: DealStateChange_orderBy",
      "orderDirection: OrderDirection",
      "where: DealStateChange_filter",
    ]);
    expect(String(stateChanges.type)).to.equal("[DealStateChange!]!");
    expect(deal.getFields().result.args).to.have.length(0);
    expect(String(deal.getFields().jobCreator.type)).to.equal("Account!");
    expect(deal.getFields().mediators.args).to.have.length(0);
    expect(deal.description).to.match(/deal between a job creator/);
  });

  it("generates filter operators per field type", () => {
    const ordered = ["", "_not", "_gt", "_lt", "_gte", "_lte", "_in", "_not_in"];
    // Deal.id is the deal key (Bytes); DealStateChange.id an ID.
    expect(keysOf("Deal", "id")).to.deep.equal([...ordered, "_contains", "_not_contains"].map((s) => `id${s}`));
    expect(filterType("Deal", "id_in")).to.equal("[Bytes!]");
    expect(keysOf("DealStateChange", "id")).to.deep.equal(ordered.map((s) => `id${s}`));
    expect(filterType("DealStateChange", "id_in")).to.equal("[ID!]");
    expect(keysOf("Deal", "instructionPrice")).to.deep.equal(ordered.map((s) => `instructionPrice${s}`));
    expect(filterType("Deal", "instructionPrice_gt")).to.equal("BigInt");
    expect(keysOf("Deal", "stateIndex")).to.deep.equal(ordered.map((s) => `stateIndex${s}`));
    expect(keysOf("Deal", "dealId")).to.deep.equal([...ordered, "_contains", "_not_contains"].map((s) => `dealId${s}`));
    expect(filterType("Deal", "dealId_not_in")).to.equal("[Bytes!]");
    expect(keysOf("Deal", "isOpen")).to.deep.equal(["isOpen", "isOpen_not", "isOpen_in", "isOpen_not_in"]);
    expect(keysOf("Deal", "state")).to.deep.equal(["state", "state_not", "state_in", "state_not_in"]);
    expect(filterType("Deal", "state_in")).to.equal("[AgreementState!]");
    const list = ["", "_not", "_contains", "_contains_nocase", "_not_contains", "_not_contains_nocase"];
    expect(keysOf("Deal", "mediators")).to.deep.equal(list.map((s) => `mediators${s}`));
    expect(filterType("Deal", "mediators_contains")).to.equal("[Bytes!]");
    expect(keysOf("Service", "roles")).to.deep.equal(list.map((s) => `roles${s}`));
    expect(filterType("Service", "roles")).to.equal("[ServiceType!]");
    // What "machines with a GPU of at least 24 GB VRAM under price P, available now" filters by.
    expect(keysOf("Machine", "maxGpuVramMb")).to.deep.equal(ordered.map((s) => `maxGpuVramMb${s}`));
    expect(filterType("Machine", "maxGpuVramMb_gte")).to.equal("Int");
    expect(keysOf("Machine", "pricePerMinute")).to.deep.equal(ordered.map((s) => `pricePerMinute${s}`));
    expect(filterType("Machine", "pricePerMinute_lt")).to.equal("BigInt");
    expect(keysOf("Machine", "available")).to.deep.equal([
      "available",
      "available_not",
      "available_in",
      "available_not_in",
    ]);
    expect(filterType("Machine", "status_in")).to.equal("[MachineStatus!]");
    expect(filterType("EscrowJob", "refundReason")).to.equal("RefundReason");
    const string = [
      ...ordered,
      "_contains",
      "_contains_nocase",
      "_not_contains",
      "_not_contains_nocase",
      "_starts_with",
      "_starts_with_nocase",
      "_not_starts_with",
      "_not_starts_with_nocase",
      "_ends_with",
      "_ends_with_nocase",
      "_not_ends_with",
      "_not_ends_with_nocase",
    ];
    expect(keysOf("Service", "url")).to.deep.equal(string.map((s) => `url${s}`));
    expect(keysOf("Deal", "cid")).to.deep.equal(string.map((s) => `cid${s}`));
    expect(filterType("Deal", "cid")).to.equal("String");
  });

  it("filters references by id as String, with a nested filter; derived fields only nested", () => {
    const keys = filterKeys("Deal");
    expect(filterType("Deal", "jobCreator")).to.equal("String");
    expect(filterType("Deal", "jobCreator_in")).to.equal("[String!]");
    expect(keys).to.include.members(["jobCreator_starts_with_nocase", "jobCreator_not_ends_with"]);
    expect(filterType("Deal", "jobCreator_")).to.equal("Account_filter");
    expect(filterType("Deal", "stateChanges_")).to.equal("DealStateChange_filter");
    expect(filterType("Deal", "result_")).to.equal("Result_filter");
    expect(keys).not.to.include.members(["stateChanges", "stateChanges_contains", "result", "result_not", "payments"]);
    expect(keys.slice(-3)).to.deep.equal(["_change_block", "and", "or"]);
    expect(filterType("Deal", "_change_block")).to.equal("BlockChangedFilter");
    expect(filterType("Deal", "or")).to.equal("[Deal_filter]");
    expect(filterType("Payment", "deal")).to.equal("String");
    expect(filterType("Payment", "deal_")).to.equal("Deal_filter");
  });

  it("orders by every field and one level of child scalar fields", () => {
    const orderBy = schema.getType("Deal_orderBy");
    if (!isEnumType(orderBy)) throw new Error("Deal_orderBy");
    const values = orderBy.getValues().map((v) => v.name);
    expect(values.slice(0, 11)).to.deep.equal([
      "id",
      "cid",
      "dealId",
      "market",
      "jobCreator",
      "jobCreator__id",
      "jobCreator__escrowBalance",
      "jobCreator__totalPaidIn",
      "jobCreator__totalReceived",
      "jobCreator__deferredPayout",
      "resourceProvider",
    ]);
    expect(values).to.include.members([
      "result",
      "result__jobCost",
      "result__resultsCid",
      "stateChanges",
      "payments",
      "mediation__fee",
    ]);
    expect(values).not.to.include.members([
      "jobCreator__service",
      "jobCreator__dealsAsJobCreator",
      "result__deal",
      "stateChanges__state",
    ]);
  });

  it("has The Graph's scalars, Block_height, _meta and no mutations", () => {
    for (const scalar of ["BigInt", "BigDecimal", "Bytes", "Int8"]) expect(schema.getType(scalar), scalar).to.exist;
    const height = schema.getType("Block_height");
    if (!isInputObjectType(height)) throw new Error("Block_height");
    expect(Object.entries(height.getFields()).map(([k, v]) => `${k}: ${String(v.type)}`)).to.deep.equal([
      "hash: Bytes",
      "number: Int",
      "number_gte: Int",
    ]);
    const meta = queryField("_meta");
    expect(meta.args.map((a) => `${a.name}: ${String(a.type)}`)).to.deep.equal(["block: Block_height"]);
    const metaType = getNamedType(meta.type);
    if (!isObjectType(metaType)) throw new Error("_Meta_");
    expect(Object.keys(metaType.getFields())).to.deep.equal(["block", "deployment", "hasIndexingErrors"]);
    const block = schema.getType("_Block_");
    if (!isObjectType(block)) throw new Error("_Block_");
    expect(Object.keys(block.getFields())).to.deep.equal(["hash", "number", "timestamp", "parentHash"]);
    expect(schema.getMutationType()).to.equal(undefined);
    const direction = schema.getType("OrderDirection");
    if (!isEnumType(direction)) throw new Error("OrderDirection");
    expect(direction.getValues().map((v) => v.name)).to.deep.equal(["asc", "desc"]);
  });

  it("adds subscriptions per entity and a generic change feed", () => {
    const sub = schema.getSubscriptionType()!.getFields();
    expect(Object.keys(sub)).to.include.members([
      "deals",
      "dealChanged",
      "services",
      "serviceChanged",
      "entityChanged",
    ]);
    expect(sub.deals.args.map((a) => a.name)).to.deep.equal(["where", "orderBy", "orderDirection", "first", "initial"]);
    expect(String(sub.dealChanged.type)).to.equal("Deal!");
    expect(String(sub.entityChanged.type)).to.equal("_EntityChange_!");
  });

  it("rejects schema type names that collide with the query schema's", () => {
    expect(() => buildApiSdl(parseEntitySchema("type Block_height @entity { id: ID! }"))).to.throw(/collides/);
  });
});
