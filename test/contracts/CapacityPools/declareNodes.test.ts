import { expect } from "chai";
import { ethers } from "hardhat";
import { ZeroHash } from "ethers";

import {
  MAX_BATCH,
  deployPoolsFixture,
  eventNames,
  mined,
  nodeIdOf,
  poolEventsOf,
  loadPoolsFixture,
} from "../../helpers/pools";

describe("CapacityPools.declareNodes", () => {
  const fresh = (n: number, label = "fresh") => Array.from({ length: n }, (_, i) => nodeIdOf(`${label}-${i}`));

  it("reverts with CapacityPools_FarmNotFound for an unknown farm", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    const farmId = ethers.id("nope");
    await expect(ctx.pools.connect(ctx.provider).declareNodes(farmId, fresh(1)))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_FarmNotFound")
      .withArgs(farmId);
  });

  it("reverts with CapacityPools_NotFarmProvider for anyone but the farm's provider", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    for (const caller of [ctx.stranger, ctx.otherProvider]) {
      await expect(ctx.pools.connect(caller).declareNodes(ctx.farmId, fresh(1)))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NotFarmProvider")
        .withArgs(ctx.farmId, caller.address);
    }
  });

  it("reverts with CapacityPools_EmptyList for an empty list", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    await expect(ctx.pools.connect(ctx.provider).declareNodes(ctx.farmId, [])).to.be.revertedWithCustomError(
      ctx.pools,
      "CapacityPools_EmptyList",
    );
  });

  it("reverts with CapacityPools_TooMany for more than MAX_BATCH IDs", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    await expect(ctx.pools.connect(ctx.provider).declareNodes(ctx.farmId, fresh(MAX_BATCH + 1)))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_TooMany")
      .withArgs(33n, 32n);
  });

  it("reverts with CapacityPools_ZeroNodeId for a zero ID, declaring none of the list", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    const ids = [...fresh(2), ZeroHash];
    await expect(ctx.pools.connect(ctx.provider).declareNodes(ctx.farmId, ids)).to.be.revertedWithCustomError(
      ctx.pools,
      "CapacityPools_ZeroNodeId",
    );
    expect(await ctx.pools.farmOfNode(ids[0])).to.equal(ZeroHash);
  });

  it("reverts with CapacityPools_NodeAlreadyDeclared for a node of another farm", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    await expect(ctx.pools.connect(ctx.provider).declareNodes(ctx.farmId, [fresh(1)[0], ctx.otherNodes[0]]))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NodeAlreadyDeclared")
      .withArgs(ctx.otherNodes[0], ctx.otherFarmId);
    expect(await ctx.pools.farmOfNode(ctx.otherNodes[0])).to.equal(ctx.otherFarmId);
  });

  it("reverts with CapacityPools_NodeAlreadyDeclared for a node of this farm, or one listed twice", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    await expect(ctx.pools.connect(ctx.provider).declareNodes(ctx.farmId, [ctx.nodes[3]]))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NodeAlreadyDeclared")
      .withArgs(ctx.nodes[3], ctx.farmId);
    const [a, b] = fresh(2);
    await expect(ctx.pools.connect(ctx.provider).declareNodes(ctx.farmId, [a, b, a]))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NodeAlreadyDeclared")
      .withArgs(a, ctx.farmId);
    expect(await ctx.pools.farmOfNode(a)).to.equal(ZeroHash);
  });

  it("declares one node", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    const [id] = fresh(1);
    await expect(ctx.pools.connect(ctx.otherProvider).declareNodes(ctx.otherFarmId, [id]))
      .to.emit(ctx.pools, "NodeDeclared")
      .withArgs(id, ctx.otherFarmId);
    expect(await ctx.pools.farmOfNode(id)).to.equal(ctx.otherFarmId);
  });

  it("declares MAX_BATCH nodes, each with its NodeDeclared in order", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    const ids = fresh(MAX_BATCH);
    const receipt = await mined(ctx.pools.connect(ctx.provider).declareNodes(ctx.farmId, ids));
    expect(eventNames(ctx.pools, receipt)).to.deep.equal(ids.map(() => "NodeDeclared"));
    expect(
      poolEventsOf(ctx.pools, receipt).map((e) => [e.args.nodeId as string, e.args.farmId as string]),
    ).to.deep.equal(ids.map((id) => [id, ctx.farmId]));
    for (const id of ids) expect(await ctx.pools.farmOfNode(id)).to.equal(ctx.farmId);
  });
});
