import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash } from "ethers";

import { ServiceType } from "../../helpers/fixtures";
import { deployRegistryFixture, metadataOf } from "./registry.shared";

describe("ServiceRegistry.unregister", () => {
  const setup = () => loadFixture(deployRegistryFixture);

  it("reverts with ServiceRegistry_NotRegistered when the caller never registered", async () => {
    const { registry, accounts } = await setup();
    await expect(registry.connect(accounts[0]).unregister())
      .to.be.revertedWithCustomError(registry, "ServiceRegistry_NotRegistered")
      .withArgs(accounts[0].address);
  });

  it("reverts with ServiceRegistry_NotRegistered when the caller already unregistered", async () => {
    const { registry, accounts } = await setup();
    await registry.connect(accounts[0]).register(1, metadataOf("a"), "a");
    await registry.connect(accounts[0]).unregister();
    await expect(registry.connect(accounts[0]).unregister())
      .to.be.revertedWithCustomError(registry, "ServiceRegistry_NotRegistered")
      .withArgs(accounts[0].address);
  });

  describe("when the caller is registered", () => {
    it("deletes the entry and emits ServiceRoleRemoved per role, then ServiceUnregistered", async () => {
      const { registry, accounts } = await setup();
      const [a] = accounts;
      await registry.connect(a).register(0b10101, metadataOf("a"), "https://a");
      const tx = await registry.connect(a).unregister();
      const receipt = await tx.wait();
      const events = receipt!.logs.map((l) => registry.interface.parseLog(l)!);
      expect(events.map((e) => e.name)).to.deep.equal([
        "ServiceRoleRemoved",
        "ServiceRoleRemoved",
        "ServiceRoleRemoved",
        "ServiceUnregistered",
      ]);
      expect(events.slice(0, 3).map((e) => Number(e.args.role))).to.deep.equal([
        ServiceType.Solver,
        ServiceType.Directory,
        ServiceType.JobCreator,
      ]);
      await expect(tx).to.emit(registry, "ServiceUnregistered").withArgs(a.address);
      const service = await registry.getService(a.address);
      expect([service.roles, service.metadata, service.url]).to.deep.equal([0n, ZeroHash, ""]);
      for (let role = 0; role < 5; role++) {
        expect(await registry.hasRole(a.address, role)).to.equal(false);
        expect(await registry.countByRole(role)).to.equal(0n);
      }
    });

    it("keeps the others' order when the last account of a list leaves", async () => {
      const { registry, accounts } = await setup();
      const [a, b, c] = accounts;
      for (const x of [a, b, c]) await registry.connect(x).register(1, metadataOf(x.address), "");
      await registry.connect(c).unregister();
      expect(await registry.getServicesByRole(ServiceType.Solver, 0, 10)).to.deep.equal([a.address, b.address]);
    });

    it("moves the last account into the freed place when another leaves", async () => {
      const { registry, accounts } = await setup();
      const [a, b, c, d] = accounts;
      for (const x of [a, b, c, d]) await registry.connect(x).register(1, metadataOf(x.address), "");
      await registry.connect(a).unregister();
      expect(await registry.getServicesByRole(ServiceType.Solver, 0, 10)).to.deep.equal([
        d.address,
        b.address,
        c.address,
      ]);
      await registry.connect(b).unregister();
      expect(await registry.getServicesByRole(ServiceType.Solver, 0, 10)).to.deep.equal([d.address, c.address]);
      // The moved account's position was updated: it can still leave cleanly.
      await registry.connect(d).unregister();
      expect(await registry.getServicesByRole(ServiceType.Solver, 0, 10)).to.deep.equal([c.address]);
      expect(await registry.hasRole(c.address, ServiceType.Solver)).to.equal(true);
    });

    it("lets the caller register again", async () => {
      const { registry, accounts } = await setup();
      await registry.connect(accounts[0]).register(1, metadataOf("a"), "a");
      await registry.connect(accounts[0]).unregister();
      await expect(registry.connect(accounts[0]).register(2, metadataOf("b"), "b"))
        .to.emit(registry, "ServiceRoleAdded")
        .withArgs(accounts[0].address, ServiceType.Mediator);
      expect(await registry.getServicesByRole(ServiceType.Mediator, 0, 10)).to.deep.equal([accounts[0].address]);
    });
  });
});
