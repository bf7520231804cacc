import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { ServiceType } from "../../helpers/fixtures";
import { deployRegistryFixture, metadataOf, rolesOf } from "./registry.shared";

describe("ServiceRegistry.register", () => {
  const setup = () => loadFixture(deployRegistryFixture);

  it("reverts with ServiceRegistry_InvalidRoles when roles is empty", async () => {
    const { registry, accounts } = await setup();
    await expect(registry.connect(accounts[0]).register(0, metadataOf("a"), "https://a"))
      .to.be.revertedWithCustomError(registry, "ServiceRegistry_InvalidRoles")
      .withArgs(0);
  });

  for (const roles of [32, 64, 128, 33, 255]) {
    it(`reverts with ServiceRegistry_InvalidRoles when roles is ${roles} (a bit past JobCreator)`, async () => {
      const { registry, accounts } = await setup();
      await expect(registry.connect(accounts[0]).register(roles, metadataOf("a"), "https://a"))
        .to.be.revertedWithCustomError(registry, "ServiceRegistry_InvalidRoles")
        .withArgs(roles);
    });
  }

  it("reverts with ServiceRegistry_UrlTooLong when the url is 2049 bytes", async () => {
    const { registry, accounts } = await setup();
    await expect(registry.connect(accounts[0]).register(1, metadataOf("a"), "x".repeat(2049)))
      .to.be.revertedWithCustomError(registry, "ServiceRegistry_UrlTooLong")
      .withArgs(2049, 2048);
    // The limit is in bytes: 1_025 two-byte characters are 2_050 bytes.
    await expect(registry.connect(accounts[0]).register(1, metadataOf("a"), "é".repeat(1_025)))
      .to.be.revertedWithCustomError(registry, "ServiceRegistry_UrlTooLong")
      .withArgs(2050, 2048);
  });

  it("accepts an empty url and a url of exactly 2048 bytes", async () => {
    const { registry, accounts } = await setup();
    await registry.connect(accounts[0]).register(1, metadataOf("a"), "");
    const long = "y".repeat(2048);
    await registry.connect(accounts[1]).register(1, metadataOf("b"), long);
    expect((await registry.getService(accounts[1].address)).url).to.equal(long);
  });

  describe("given the caller is not registered", () => {
    it("stores the entry and emits ServiceRegistered and one ServiceRoleAdded per role", async () => {
      const { registry, accounts } = await setup();
      const [a] = accounts;
      const roles = (1 << ServiceType.Solver) | (1 << ServiceType.ResourceProvider) | (1 << ServiceType.JobCreator);
      const tx = await registry.connect(a).register(roles, metadataOf("a"), "https://a.example");
      await expect(tx)
        .to.emit(registry, "ServiceRegistered")
        .withArgs(a.address, roles, metadataOf("a"), "https://a.example");
      const receipt = await tx.wait();
      const added = receipt!.logs
        .map((l) => registry.interface.parseLog(l))
        .filter((e) => e?.name === "ServiceRoleAdded")
        .map((e) => Number(e!.args.role));
      expect(added).to.deep.equal([ServiceType.Solver, ServiceType.ResourceProvider, ServiceType.JobCreator]);
      await expect(tx).not.to.emit(registry, "ServiceRoleRemoved");
      const service = await registry.getService(a.address);
      expect([service.roles, service.metadata, service.url]).to.deep.equal([
        BigInt(roles),
        metadataOf("a"),
        "https://a.example",
      ]);
      for (let role = 0; role < 5; role++) {
        expect(await registry.hasRole(a.address, role)).to.equal(rolesOf(roles).includes(role));
        expect(await registry.countByRole(role)).to.equal(rolesOf(roles).includes(role) ? 1n : 0n);
      }
    });

    it("offers every role with roles = 31", async () => {
      const { registry, accounts } = await setup();
      await registry.connect(accounts[0]).register(31, metadataOf("all"), "u");
      for (let role = 0; role < 5; role++) {
        expect(await registry.getServicesByRole(role, 0, 10)).to.deep.equal([accounts[0].address]);
      }
    });

    it("lists accounts in registration order", async () => {
      const { registry, accounts } = await setup();
      for (const a of accounts.slice(0, 4))
        await registry.connect(a).register(1 << ServiceType.Mediator, metadataOf(a.address), "");
      expect(await registry.getServicesByRole(ServiceType.Mediator, 0, 10)).to.deep.equal(
        accounts.slice(0, 4).map((a) => a.address),
      );
    });
  });

  describe("given the caller is registered", () => {
    it("replaces metadata and url and emits role events only for changed roles", async () => {
      const { registry, accounts } = await setup();
      const [a] = accounts;
      await registry.connect(a).register(0b00011, metadataOf("v1"), "https://v1"); // Solver, Mediator
      const tx = await registry.connect(a).register(0b00110, metadataOf("v2"), "https://v2"); // Mediator, Directory
      await expect(tx)
        .to.emit(registry, "ServiceRegistered")
        .withArgs(a.address, 0b00110, metadataOf("v2"), "https://v2");
      await expect(tx).to.emit(registry, "ServiceRoleAdded").withArgs(a.address, ServiceType.Directory);
      await expect(tx).to.emit(registry, "ServiceRoleRemoved").withArgs(a.address, ServiceType.Solver);
      const receipt = await tx.wait();
      const roleEvents = receipt!.logs
        .map((l) => registry.interface.parseLog(l)?.name)
        .filter((n) => n === "ServiceRoleAdded" || n === "ServiceRoleRemoved");
      expect(roleEvents).to.have.lengthOf(2); // nothing for the kept Mediator role
      const service = await registry.getService(a.address);
      expect([service.roles, service.metadata, service.url]).to.deep.equal([6n, metadataOf("v2"), "https://v2"]);
      expect(await registry.hasRole(a.address, ServiceType.Solver)).to.equal(false);
      expect(await registry.countByRole(ServiceType.Solver)).to.equal(0n);
      expect(await registry.countByRole(ServiceType.Mediator)).to.equal(1n);
    });

    it("emits no role event when only metadata and url change", async () => {
      const { registry, accounts } = await setup();
      await registry.connect(accounts[0]).register(5, metadataOf("v1"), "a");
      const tx = await registry.connect(accounts[0]).register(5, metadataOf("v2"), "b");
      await expect(tx).not.to.emit(registry, "ServiceRoleAdded");
      await expect(tx).not.to.emit(registry, "ServiceRoleRemoved");
      expect((await registry.getService(accounts[0].address)).metadata).to.equal(metadataOf("v2"));
    });

    it("keeps its place in kept roles and swap-and-pops it out of dropped roles", async () => {
      const { registry, accounts } = await setup();
      const [a, b, c, d] = accounts;
      for (const x of [a, b, c, d]) await registry.connect(x).register(0b11, metadataOf(x.address), "");
      await registry.connect(b).register(0b10, metadataOf("b2"), ""); // b drops Solver, keeps Mediator
      expect(await registry.getServicesByRole(ServiceType.Solver, 0, 10)).to.deep.equal([
        a.address,
        d.address,
        c.address,
      ]);
      expect(await registry.getServicesByRole(ServiceType.Mediator, 0, 10)).to.deep.equal(
        [a, b, c, d].map((x) => x.address),
      );
      // Re-adding a role appends at the end.
      await registry.connect(b).register(0b11, metadataOf("b3"), "");
      expect(await registry.getServicesByRole(ServiceType.Solver, 0, 10)).to.deep.equal(
        [a, d, c, b].map((x) => x.address),
      );
    });
  });
});
