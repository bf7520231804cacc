// The solver announces its URL in ServiceRegistry, and agents find it there.

import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { RegistryClient } from "../../src/clients";
import { deployAccord } from "../../src/deployments";
import { announceSolver, findSolvers } from "../../src/solver";

async function fixture() {
  const { deployment } = await deployAccord(hre);
  const [, solverA, solverB, provider] = await hre.ethers.getSigners();
  const client = (signer: typeof solverA) => RegistryClient.fromDeployment(signer, deployment);
  return {
    a: await client(solverA),
    b: await client(solverB),
    provider: await client(provider),
    addresses: [solverA.address, solverB.address],
  };
}

describe("solver: ServiceRegistry", () => {
  it("registers a solver's URL, adds the role to an account registered already, and agents find both", async () => {
    const { a, b, provider, addresses } = await loadFixture(fixture);
    const first = await announceSolver(a, "http://127.0.0.1:4100/graphql");
    expect(first).to.include({ registered: true, url: "http://127.0.0.1:4100/graphql" });
    expect(first.roles).to.deep.equal(["Solver"]);
    // Announcing again changes nothing; a new URL replaces the old.
    await announceSolver(a, "http://127.0.0.1:4100/graphql");
    expect((await announceSolver(a, "http://solver-a.example/graphql")).url).to.equal(
      "http://solver-a.example/graphql",
    );
    // An account that is a mediator already keeps that role.
    await b.register({ roles: ["Mediator"], url: "" });
    const both = await announceSolver(b, "https://solver-b.example/graphql");
    expect(both.roles).to.have.members(["Solver", "Mediator"]);
    // A provider (no Solver role), and a solver without a URL, are not found.
    await provider.register({ roles: ["ResourceProvider"], url: "http://provider.example" });
    const found = await findSolvers(provider);
    expect(found.map((s) => [s.account, s.url])).to.deep.equal([
      [addresses[0], "http://solver-a.example/graphql"],
      [addresses[1], "https://solver-b.example/graphql"],
    ]);
  });
});
