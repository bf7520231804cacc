// The drawn aggregator order and its slots: the order is the operators sorted by keccak256(abi.encode(seed, operator)),
// the same whatever order they are given in; slot k runs [createdAt + k·slot, createdAt + (k+1)·slot) and wraps
// around the order; followers send to the holder and the next one.

import { expect } from "chai";
import { AbiCoder, keccak256, Wallet } from "ethers";
import {
  aggregatorFor,
  aggregatorOrder,
  drawKey,
  isAggregator,
  signatureTargets,
  slotAt,
  slotOf,
} from "../../src/quorum/aggregator-order";

const seed = keccak256("0x1234");
const operators = Array.from({ length: 7 }, () => Wallet.createRandom().address);
const task = { seed, createdAt: 1_000_000 };

describe("quorum: aggregator order and slots", () => {
  it("sorts by keccak256(abi.encode(seed, operator)), independent of the input order", () => {
    const order = aggregatorOrder(seed, operators);
    expect(order).to.have.length(operators.length);
    expect(new Set(order)).to.deep.equal(new Set(operators));
    const keys = order.map((operator) => BigInt(drawKey(seed, operator)));
    for (let i = 1; i < keys.length; i++) expect(keys[i] > keys[i - 1]).to.equal(true);
    expect(aggregatorOrder(seed, [...operators].reverse())).to.deep.equal(order);
    expect(drawKey(seed, operators[0])).to.equal(
      keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "address"], [seed, operators[0]])),
    );
    // Another seed, another order (with 7 operators a collision of the whole order is negligible).
    expect(aggregatorOrder(keccak256("0x99"), operators)).to.not.deep.equal(order);
  });

  it("counts slots from createdAt: [createdAt + k·slot, createdAt + (k+1)·slot)", () => {
    expect(slotAt(task, 5, 999_000)).to.equal(0);
    expect(slotAt(task, 5, 1_000_000)).to.equal(0);
    expect(slotAt(task, 5, 1_000_004.99)).to.equal(0);
    expect(slotAt(task, 5, 1_000_005)).to.equal(1);
    expect(slotAt(task, 5, 1_000_012)).to.equal(2);
    expect(() => slotAt(task, 0, 1)).to.throw(RangeError);
    const order = aggregatorOrder(seed, operators);
    const s = slotOf(task, order, 5, 2);
    expect(s).to.deep.equal({ slot: 2, index: 2, operator: order[2], startsAt: 1_000_010, endsAt: 1_000_015 });
    // After every operator has had its slot, the order starts over.
    expect(slotOf(task, order, 5, 7).operator).to.equal(order[0]);
    expect(slotOf(task, order, 5, 9).index).to.equal(2);
  });

  it("names one holder at a time, the k-th of the order in slot k", () => {
    const order = aggregatorOrder(seed, operators);
    for (let k = 0; k < 10; k++) {
      const now = 1_000_000 + k * 5 + 2.5;
      const holder = aggregatorFor(task, operators, 5, now);
      expect(holder.operator).to.equal(order[k % order.length]);
      const holders = operators.filter((operator) => isAggregator(task, operators, 5, now, operator));
      expect(holders).to.deep.equal([holder.operator]);
      expect(isAggregator(task, operators, 5, now, holder.operator.toLowerCase())).to.equal(true);
    }
  });

  it("sends to the holder and the next one; to the only one when alone", () => {
    const order = aggregatorOrder(seed, operators);
    expect(signatureTargets(task, operators, 5, 1_000_001)).to.deep.equal([order[0], order[1]]);
    expect(signatureTargets(task, operators, 5, 1_000_031)).to.deep.equal([order[6], order[0]]);
    expect(signatureTargets(task, operators.slice(0, 1), 5, 1_000_031)).to.deep.equal([operators[0]]);
  });
});
