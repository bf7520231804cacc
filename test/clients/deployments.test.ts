import { expect } from "chai";
import hre from "hardhat";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Provider } from "ethers";
import AccordModule from "../../ignition/modules/Accord";
import {
  DEFAULT_INITIAL_SUPPLY,
  deployAccord,
  DeploymentChainMismatchError,
  DeploymentCodeMissingError,
  DeploymentError,
  DeploymentFormatError,
  DeploymentNotFoundError,
  loadDeployment,
  parseDeployment,
  readDeployment,
  resolveDeploymentPath,
  writeDeployment,
  type AccordDeployment,
} from "../../src/deployments";
import { JobCreatorClient, MediatorClient, RegistryClient } from "../../src/clients";
import { AccordError } from "../../src/model";
import { clientsFixture, expectError } from "./helpers";

function sample(): AccordDeployment {
  const contract = (n: number) => ({
    address: `0x${String(n).repeat(40).slice(0, 40)}`,
    blockNumber: n,
    transactionHash: `0x${String(n).repeat(64).slice(0, 64)}`,
  });
  return {
    chainId: 31337,
    network: "unit",
    deployedAt: "2025-01-02T03:04:05.000Z",
    contracts: {
      AccordToken: contract(1),
      DealMarket: contract(2),
      ServiceRegistry: contract(3),
      CapacityPools: contract(4),
      PaymentChannels: contract(5),
      OperatorRegistry: contract(6),
      TaskManager: contract(7),
      QuorumMediator: contract(8),
      SquareTaskVerifier: contract(9),
      MachineRegistry: contract(10),
      JobEscrow: contract(11),
      QuorumJobOracle: contract(12),
    },
  };
}

/** A provider stub on another chain. */
const mainnetProvider = { getNetwork: () => Promise.resolve({ chainId: 1n }) } as unknown as Provider;

/** A deployment file's JSON, its fields loosely typed: the cases below break them on purpose. */
type DeploymentJson = { [field: string]: unknown; contracts: Record<string, Record<string, unknown>> };

describe("deployments", function () {
  let dir: string;

  beforeEach(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "accord-deployments-"));
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  describe("the deployment file", function () {
    it("writes <dir>/<network>.json and reads it back normalized", async function () {
      const written = writeDeployment(sample(), { dir });
      expect(written).to.equal(path.join(dir, "unit.json"));
      const json = JSON.parse(readFileSync(written, "utf8")) as DeploymentJson;
      expect(Object.keys(json)).to.deep.equal(["chainId", "network", "deployedAt", "contracts"]);
      expect(json.contracts.DealMarket).to.deep.equal({
        address: "0x2222222222222222222222222222222222222222",
        blockNumber: 2,
        transactionHash: `0x${"2".repeat(64)}`,
      });
      expect(readDeployment("unit", { dir })).to.deep.equal(sample());
      expect(readDeployment(written)).to.deep.equal(sample());
      expect(await loadDeployment(written, { provider: hre.ethers.provider })).to.deep.equal(sample());
    });

    it("resolves network names and paths", function () {
      expect(resolveDeploymentPath("localhost")).to.equal(path.resolve("deployments", "localhost.json"));
      expect(resolveDeploymentPath("localhost", { dir: "/x" })).to.equal("/x/localhost.json");
      expect(resolveDeploymentPath("./other/file.json")).to.equal(path.resolve("other/file.json"));
      expect(() => resolveDeploymentPath("")).to.throw(DeploymentError);
    });

    it("reports a missing file", async function () {
      const error = await expectError(loadDeployment("nowhere", { dir }), DeploymentNotFoundError);
      expect(error.path).to.equal(path.join(dir, "nowhere.json"));
      expect(error).to.be.instanceOf(AccordError);
    });

    it("reports invalid JSON and malformed fields by name", async function () {
      const file = path.join(dir, "bad.json");
      writeFileSync(file, "{ not json");
      const notJson = await expectError(loadDeployment(file), DeploymentFormatError);
      expect(notJson.field).to.equal("");
      expect(notJson.path).to.equal(file);

      const cases: [(d: DeploymentJson) => void, string][] = [
        [(d) => (d.contracts.DealMarket.address = "0x1234"), "contracts.DealMarket.address"],
        [
          (d) => (d.contracts.AccordToken.address = "0xAb5801a7D398351b8bE11C439e05C5B3259aeC9C"),
          "contracts.AccordToken.address",
        ], // bad checksum
        [(d) => (d.contracts.ServiceRegistry.address = `0x${"0".repeat(40)}`), "contracts.ServiceRegistry.address"],
        [(d) => delete d.contracts.ServiceRegistry, "contracts.ServiceRegistry"],
        [(d) => (d.contracts.DealMarket.blockNumber = -1), "contracts.DealMarket.blockNumber"],
        [(d) => (d.contracts.DealMarket.transactionHash = "0x12"), "contracts.DealMarket.transactionHash"],
        [(d) => (d.chainId = "31337"), "chainId"],
        [(d) => (d.network = ""), "network"],
        [(d) => (d.deployedAt = "yesterday"), "deployedAt"],
        [(d) => Object.assign(d, { contracts: [] }), "contracts"],
      ];
      for (const [mutate, field] of cases) {
        const value = structuredClone(sample()) as DeploymentJson;
        mutate(value);
        writeFileSync(file, JSON.stringify(value));
        const error = await expectError(loadDeployment(file), DeploymentFormatError);
        expect(error.field, field).to.equal(field);
        expect(error.message).to.contain(field);
      }
      expect(() => parseDeployment(null)).to.throw(DeploymentFormatError);
    });

    it("lower-case addresses are accepted and checksummed; extra contracts are kept", function () {
      const value = structuredClone(sample()) as DeploymentJson;
      value.contracts.DealMarket.address = "0xab5801a7d398351b8be11c439e05c5b3259aec9b";
      value.contracts.Extra = {
        address: `0x${"4".repeat(40)}`,
        blockNumber: 4,
        transactionHash: `0x${"4".repeat(64)}`,
      };
      const parsed = parseDeployment(value);
      expect(parsed.contracts.DealMarket.address).to.equal("0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B");
      expect(parsed.contracts.Extra.blockNumber).to.equal(4);
    });

    it("refuses a file for another chain than the provider's", async function () {
      const file = writeDeployment(sample(), { dir });
      const error = await expectError(
        loadDeployment(file, { provider: mainnetProvider }),
        DeploymentChainMismatchError,
      );
      expect(error.expectedChainId).to.equal(31337n);
      expect(error.actualChainId).to.equal(1n);
      expect(error.path).to.equal(file);
    });

    it("optionally checks that the contracts have code", async function () {
      const file = writeDeployment(sample(), { dir });
      const error = await expectError(
        loadDeployment(file, { provider: hre.ethers.provider, checkCode: true }),
        DeploymentCodeMissingError,
      );
      expect(error.contract).to.equal("AccordToken");
    });
  });

  describe("deployAccord", function () {
    it("deploys from a Hardhat runtime, records blocks and writes the file", async function () {
      const result = await deployAccord(hre, { write: { dir } });
      const { deployment } = result;
      expect(deployment.chainId).to.equal(31337);
      expect(deployment.network).to.equal("hardhat");
      expect(result.path).to.equal(path.join(dir, "hardhat.json"));
      for (const name of [
        "AccordToken",
        "DealMarket",
        "ServiceRegistry",
        "CapacityPools",
        "PaymentChannels",
        "OperatorRegistry",
        "TaskManager",
        "QuorumMediator",
        "SquareTaskVerifier",
        "MachineRegistry",
        "JobEscrow",
        "QuorumJobOracle",
      ] as const) {
        const record = deployment.contracts[name];
        const receipt = await hre.ethers.provider.getTransactionReceipt(record.transactionHash);
        expect(receipt?.contractAddress).to.equal(record.address);
        expect(receipt?.blockNumber).to.equal(record.blockNumber);
      }
      expect(await result.market.token()).to.equal(deployment.contracts.AccordToken.address);
      expect(await result.pools.token()).to.equal(deployment.contracts.AccordToken.address);
      expect(await result.pools.getAddress()).to.equal(deployment.contracts.CapacityPools.address);
      expect(await result.channels.getAddress()).to.equal(deployment.contracts.PaymentChannels.address);
      expect(await result.operators.token()).to.equal(deployment.contracts.AccordToken.address);
      expect(await result.tasks.registry()).to.equal(deployment.contracts.OperatorRegistry.address);
      expect(await result.quorumMediator.taskManager()).to.equal(deployment.contracts.TaskManager.address);
      expect(await result.squareVerifier.getAddress()).to.equal(deployment.contracts.SquareTaskVerifier.address);
      expect(await result.machines.getAddress()).to.equal(deployment.contracts.MachineRegistry.address);
      expect(await result.jobEscrow.token()).to.equal(deployment.contracts.AccordToken.address);
      expect(await result.jobEscrow.registry()).to.equal(deployment.contracts.MachineRegistry.address);
      expect(await result.jobEscrow.acceptanceTimeout()).to.equal(3600n);
      expect(await result.jobEscrow.attestationWindow()).to.equal(86_400n);
      expect(await result.jobOracle.escrow()).to.equal(deployment.contracts.JobEscrow.address);
      expect(await result.jobOracle.taskManager()).to.equal(deployment.contracts.TaskManager.address);
      expect(await result.jobOracle.quorum()).to.equal(0n);
      expect(await result.jobOracle.thresholdPercent()).to.equal(67n);
      expect(await result.jobOracle.responseWindow()).to.equal(600n);
      const [deployer] = await hre.ethers.getSigners();
      expect(await result.token.balanceOf(deployer.address)).to.equal(DEFAULT_INITIAL_SUPPLY);
      expect(await loadDeployment("hardhat", { dir, provider: hre.ethers.provider, checkCode: true })).to.deep.equal(
        deployment,
      );
    });

    it("deploys from a signer with options", async function () {
      const [, other, holder] = await hre.ethers.getSigners();
      const messages: string[] = [];
      const result = await deployAccord(other, {
        initialSupply: 5n,
        initialHolder: holder.address,
        network: "custom",
        log: (m) => messages.push(m),
      });
      expect(result.path).to.equal(undefined);
      expect(result.deployment.network).to.equal("custom");
      expect(await result.token.balanceOf(holder.address)).to.equal(5n);
      expect(await result.token.owner()).to.equal(holder.address);
      expect(messages.join("\n")).to.contain("DealMarket deployed at");
    });

    it("the Ignition module deploys the same wiring", async function () {
      const { token, market, registry, pools } = await hre.ignition.deploy(AccordModule);
      const [deployer] = await hre.ethers.getSigners();
      expect(await market.token()).to.equal(await token.getAddress());
      expect(await pools.token()).to.equal(await token.getAddress());
      expect(await token.balanceOf(deployer.address)).to.equal(DEFAULT_INITIAL_SUPPLY);
      expect(await registry.countByRole(0)).to.equal(0n);
    });
  });

  describe("clients from a deployment", function () {
    it("connect by file, by network name and by object, and check the chain", async function () {
      const f = await loadFixture(clientsFixture);
      const file = writeDeployment(f.deployment, { dir });
      const [, jobCreator] = await hre.ethers.getSigners();

      const byPath = await JobCreatorClient.fromDeployment(jobCreator, file);
      expect(byPath).to.be.instanceOf(JobCreatorClient);
      expect(await byPath.market.getAddress()).to.equal(f.deployment.contracts.DealMarket.address);
      expect(byPath.fromBlock).to.equal(f.deployment.contracts.DealMarket.blockNumber);
      expect(await (await byPath.getToken()).getAddress()).to.equal(f.deployment.contracts.AccordToken.address);

      const byName = await RegistryClient.fromDeployment(jobCreator, "hardhat", { dir, checkCode: true });
      expect(await byName.registry.getAddress()).to.equal(f.deployment.contracts.ServiceRegistry.address);

      const byObject = await MediatorClient.fromDeployment(jobCreator, f.deployment, { confirmations: 1 });
      expect(byObject).to.be.instanceOf(MediatorClient);

      const other = { ...f.deployment, chainId: 1 };
      await expectError(JobCreatorClient.fromDeployment(jobCreator, other), DeploymentChainMismatchError);
      await expectError(JobCreatorClient.fromDeployment(jobCreator, "missing", { dir }), DeploymentNotFoundError);
    });
  });
});
