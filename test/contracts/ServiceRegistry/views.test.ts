import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { MaxUint256 } from "ethers";
import fc from "fast-check";

import { ServiceType } from "../../helpers/fixtures";
import { ROLE_COUNT, deployRegistryFixture, metadataOf, rolesOf } from "./registry.shared";

describe("ServiceRegistry views", () => {
  const setup = () => loadFixture(deployRegistryFixture);

  /** Five accounts offering JobCreator, in order. */
  async function five() {
    const ctx = await setup();
    const listed = ctx.accounts.slice(0, 5);
    for (const a of listed)
      await ctx.registry.connect(a).register(1 << ServiceType.JobCreator, metadataOf(a.address), "");
    return { ...ctx, listed: listed.map((a) => a.address) };
  }

  it("MAX_URL_LENGTH is 2048", async () => {
    const { registry } = await setup();
    expect(await registry.MAX_URL_LENGTH()).to.equal(2048n);
  });

  it("reports nothing for an unknown account", async () => {
    const { registry, accounts } = await setup();
    expect((await registry.getService(accounts[6].address)).roles).to.equal(0n);
    for (let role = 0; role < ROLE_COUNT; role++)
      expect(await registry.hasRole(accounts[6].address, role)).to.equal(false);
  });

  describe("getServicesByRole", () => {
    it("returns an empty list when offset >= count", async () => {
      const { registry } = await five();
      expect(await registry.getServicesByRole(ServiceType.JobCreator, 5, 10)).to.deep.equal([]);
      expect(await registry.getServicesByRole(ServiceType.JobCreator, 6, 1)).to.deep.equal([]);
      expect(await registry.getServicesByRole(ServiceType.JobCreator, MaxUint256, MaxUint256)).to.deep.equal([]);
      expect(await registry.getServicesByRole(ServiceType.Solver, 0, 10)).to.deep.equal([]);
    });

    it("returns an empty list when limit is 0", async () => {
      const { registry } = await five();
      expect(await registry.getServicesByRole(ServiceType.JobCreator, 0, 0)).to.deep.equal([]);
      expect(await registry.getServicesByRole(ServiceType.JobCreator, 4, 0)).to.deep.equal([]);
    });

    it("returns the rest when the page runs past the end, without overflow", async () => {
      const { registry, listed } = await five();
      expect(await registry.getServicesByRole(ServiceType.JobCreator, 3, 10)).to.deep.equal(listed.slice(3));
      expect(await registry.getServicesByRole(ServiceType.JobCreator, 1, MaxUint256)).to.deep.equal(listed.slice(1));
      expect(await registry.getServicesByRole(ServiceType.JobCreator, 0, 5)).to.deep.equal(listed);
    });

    it("returns exactly `limit` accounts from `offset` inside the list", async () => {
      const { registry, listed } = await five();
      expect(await registry.getServicesByRole(ServiceType.JobCreator, 1, 2)).to.deep.equal(listed.slice(1, 3));
      expect(await registry.getServicesByRole(ServiceType.JobCreator, 4, 1)).to.deep.equal(listed.slice(4, 5));
      expect(await registry.countByRole(ServiceType.JobCreator)).to.equal(5n);
    });

    it("reverts when the role is no ServiceType", async () => {
      const { registry } = await setup();
      // An out-of-range enum fails ABI decoding before the function runs: an empty revert.
      await expect(registry.getServicesByRole(5, 0, 10)).to.be.revertedWithoutReason();
      await expect(registry.countByRole(5)).to.be.revertedWithoutReason();
      await expect(registry.hasRole(ethers.ZeroAddress, 5)).to.be.revertedWithoutReason();
      expect(await registry.countByRole(4)).to.equal(0n); // the last valid role answers
    });
  });

  it("matches a swap-and-pop model under random register / update / unregister sequences", async () => {
    const { registry, accounts } = await setup();
    const signers = accounts.slice(0, 5);
    const op = fc.record({ who: fc.nat({ max: signers.length - 1 }), roles: fc.nat({ max: 31 }) }); // roles 0 = unregister
    let snapshot = (await network.provider.send("evm_snapshot", [])) as string;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
        await network.provider.send("evm_revert", [snapshot]);
        snapshot = (await network.provider.send("evm_snapshot", [])) as string;
        const lists: string[][] = Array.from({ length: ROLE_COUNT }, () => []);
        const registered = new Map<string, number>();
        for (const { who, roles } of ops) {
          const account = signers[who];
          const previous = registered.get(account.address) ?? 0;
          if (roles === 0) {
            if (previous === 0) {
              await expect(registry.connect(account).unregister()).to.be.revertedWithCustomError(
                registry,
                "ServiceRegistry_NotRegistered",
              );
              continue;
            }
            await registry.connect(account).unregister();
            registered.delete(account.address);
          } else {
            await registry.connect(account).register(roles, metadataOf(`${who}-${roles}`), `u${roles}`);
            registered.set(account.address, roles);
          }
          const next = roles;
          for (let role = 0; role < ROLE_COUNT; role++) {
            const had = rolesOf(previous).includes(role);
            const has = rolesOf(next).includes(role);
            const list = lists[role];
            if (!had && has) list.push(account.address);
            if (had && !has) {
              const at = list.indexOf(account.address);
              const last = list.pop()!;
              if (at < list.length) list[at] = last;
            }
          }
          for (let role = 0; role < ROLE_COUNT; role++) {
            expect(await registry.getServicesByRole(role, 0, 100)).to.deep.equal(lists[role]);
            expect(await registry.countByRole(role)).to.equal(BigInt(lists[role].length));
          }
          expect((await registry.getService(account.address)).roles).to.equal(
            BigInt(registered.get(account.address) ?? 0),
          );
        }
      }),
      { numRuns: 12 },
    );
  });
});
