import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash } from "ethers";
import { cidToBytes32, serviceTypeNames, ServiceType, UnknownEnumValueError } from "../../src/model";
import { AccordClientError, bitmapToRoles, metadataToBytes32, RegistryClient, rolesToBitmap } from "../../src/clients";
import { clientsFixture, expectContractError, expectError, RESULTS_CID } from "./helpers";

const METADATA_CID = RESULTS_CID;

/** The role a ServiceRoleAdded or ServiceRoleRemoved names (the event has the enum index). */
const roleName = (event: { args: { role: bigint } }) => serviceTypeNames[Number(event.args.role)];

describe("clients: RegistryClient", function () {
  it("converts roles and metadata", function () {
    expect(rolesToBitmap(["Solver", "Mediator"])).to.equal(0b11);
    expect(rolesToBitmap("JobCreator")).to.equal(0b10000);
    expect(rolesToBitmap([ServiceType.ResourceProvider, "Directory"])).to.equal(0b1100);
    expect(bitmapToRoles(0b10101)).to.deep.equal(["Solver", "Directory", "JobCreator"]);
    expect(() => rolesToBitmap(["Oracle"] as never)).to.throw(UnknownEnumValueError);
    expect(() => rolesToBitmap(7 as never)).to.throw(AccordClientError);
    expect(metadataToBytes32(null)).to.equal(ZeroHash);
    expect(metadataToBytes32(METADATA_CID)).to.equal(cidToBytes32(METADATA_CID));
    expect(metadataToBytes32(cidToBytes32(METADATA_CID).toUpperCase().replace("0X", "0x"))).to.equal(
      cidToBytes32(METADATA_CID),
    );
  });

  it("registers, reads, updates and unregisters the signer", async function () {
    const f = await loadFixture(clientsFixture);
    const client = f.registryClient;
    const me = f.accounts.stranger.address;

    const registered = await client.register({
      roles: ["Mediator", "Solver"],
      metadata: METADATA_CID,
      url: "https://mediator.example",
    });
    expect(registered.get("ServiceRegistered").args).to.deep.equal({
      account: me.toLowerCase(),
      roles: 0b11n,
      metadata: cidToBytes32(METADATA_CID),
      url: "https://mediator.example",
    });
    expect(registered.filter("ServiceRoleAdded").map(roleName)).to.deep.equal(["Solver", "Mediator"]);

    expect(await client.getService()).to.deep.equal({
      account: me,
      registered: true,
      roles: ["Solver", "Mediator"],
      rolesBitmap: 0b11,
      metadata: cidToBytes32(METADATA_CID),
      metadataCid: METADATA_CID,
      url: "https://mediator.example",
    });
    expect(await client.hasRole("Mediator")).to.equal(true);
    expect(await client.hasRole(ServiceType.Directory, me)).to.equal(false);
    expect(await client.countByRole("Solver")).to.equal(1);

    // Only what is given changes.
    const updated = await client.update({ addRoles: "Directory", removeRoles: ["Solver"], url: "https://m2.example" });
    expect(updated.filter("ServiceRoleAdded").map(roleName)).to.deep.equal(["Directory"]);
    expect(updated.filter("ServiceRoleRemoved").map(roleName)).to.deep.equal(["Solver"]);
    const afterUpdate = await client.getService(me);
    expect(afterUpdate).to.deep.include({
      roles: ["Mediator", "Directory"],
      url: "https://m2.example",
      metadataCid: METADATA_CID,
    });

    await client.update({ metadata: null, roles: ["JobCreator"] });
    expect(await client.getService()).to.deep.include({ roles: ["JobCreator"], metadata: ZeroHash, metadataCid: null });

    const unregistered = await client.unregister();
    expect(unregistered.get("ServiceUnregistered").args.account).to.equal(me.toLowerCase());
    expect(roleName(unregistered.get("ServiceRoleRemoved"))).to.equal("JobCreator");
    expect(await client.getService()).to.deep.include({ registered: false, roles: [], url: "" });
  });

  it("reports the registry's errors as typed errors", async function () {
    const f = await loadFixture(clientsFixture);
    const client = f.registryClient;
    const me = f.accounts.stranger.address;

    const notRegistered = await expectContractError(client.unregister(), "ServiceRegistry_NotRegistered");
    expect(notRegistered.args).to.deep.equal({ account: me });
    expect(notRegistered.action).to.equal("unregister");

    const invalidRoles = await expectContractError(client.register({ roles: [] }), "ServiceRegistry_InvalidRoles");
    expect(invalidRoles.args).to.deep.equal({ roles: 0 });

    const tooLong = await expectContractError(
      client.register({ roles: "Solver", url: "x".repeat(2049) }),
      "ServiceRegistry_UrlTooLong",
    );
    expect(tooLong.args).to.deep.equal({ length: 2049n, max: 2048n });

    const update = await expectError(client.update({ url: "https://x.example" }), AccordClientError);
    expect(update.code).to.equal("NOT_FOUND");

    const [signer] = await hre.ethers.getSigners();
    const unconfigured = new RegistryClient(signer, { market: f.deployment.contracts.DealMarket.address });
    expect((await expectError(unconfigured.getService(), AccordClientError)).code).to.equal("NOT_CONFIGURED");
  });

  it("lists the accounts of a role page by page", async function () {
    const f = await loadFixture(clientsFixture);
    const signers = (await hre.ethers.getSigners()).slice(8, 13);
    for (const [i, signer] of signers.entries()) {
      const client = new RegistryClient(signer, f.clientOptions);
      await client.register({ roles: i % 2 === 0 ? ["Mediator", "Solver"] : "Mediator", url: `https://m${i}.example` });
    }
    const client = f.registryClient;
    const addresses = signers.map((s) => s.address);

    const first = await client.listByRole("Mediator", { limit: 2 });
    expect(first).to.deep.equal({ accounts: addresses.slice(0, 2), offset: 0, total: 5, nextOffset: 2 });
    const last = await client.listByRole("Mediator", { offset: 4, limit: 2 });
    expect(last).to.deep.equal({ accounts: addresses.slice(4), offset: 4, total: 5, nextOffset: null });
    expect(await client.listByRole("Mediator", { offset: 9 })).to.deep.include({ accounts: [], nextOffset: null });
    expect(await client.listAllByRole("Mediator", { pageSize: 2 })).to.deep.equal(addresses);
    expect(await client.listAllByRole(ServiceType.Solver)).to.deep.equal([addresses[0], addresses[2], addresses[4]]);
    expect(await client.listAllByRole("Directory")).to.deep.equal([]);

    const services = await client.getServicesByRole("Solver");
    expect(services.map((s) => s.url)).to.deep.equal([
      "https://m0.example",
      "https://m2.example",
      "https://m4.example",
    ]);

    await expectError(client.listByRole("Mediator", { limit: 0 }), AccordClientError);
  });
});
