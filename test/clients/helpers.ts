// Shared fixture of the client tests: a fresh deployment (via deployAccord), funded parties, one client per
// role, and model deals built with the data model's getDeal.

import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { expect } from "chai";
import {
  AccordContractError,
  JobCreatorClient,
  MediatorClient,
  RegistryClient,
  ResourceProviderClient,
  SolverClient,
  type AccordClientOptions,
} from "../../src/clients";
import { deployAccord, type AccordDeploymentResult } from "../../src/deployments";
import {
  getAgreementStateString,
  getDeal,
  type AgreementStateName,
  type Deal,
  type DealPricing,
  type DealTimeouts,
  type JobOffer,
  type ResourceOffer,
} from "../../src/model";

export const TOKEN = 10n ** 18n;
/** What each party starts with. */
export const FUNDING = 10_000n * TOKEN;

export type Accounts = {
  deployer: HardhatEthersSigner;
  jobCreator: HardhatEthersSigner;
  resourceProvider: HardhatEthersSigner;
  solver: HardhatEthersSigner;
  mediators: HardhatEthersSigner[];
  stranger: HardhatEthersSigner;
};

export type ClientsFixture = AccordDeploymentResult & {
  accounts: Accounts;
  jobCreator: JobCreatorClient;
  resourceProvider: ResourceProviderClient;
  solver: SolverClient;
  mediators: MediatorClient[];
  registryClient: RegistryClient;
  /** A client option set for constructing more clients. */
  clientOptions: AccordClientOptions;
};

/** Deploys with deployAccord, funds the parties and builds one client per role (from the deployment). */
export async function clientsFixture(): Promise<ClientsFixture> {
  const deployed = await deployAccord(hre);
  const [deployer, jobCreator, resourceProvider, solver, m1, m2, m3, stranger] = await hre.ethers.getSigners();
  const accounts: Accounts = {
    deployer,
    jobCreator,
    resourceProvider,
    solver,
    mediators: [m1, m2, m3],
    stranger,
  };
  for (const party of [jobCreator, resourceProvider, stranger]) {
    await (await deployed.token.transfer(party.address, FUNDING)).wait();
  }
  const { deployment } = deployed;
  return {
    ...deployed,
    accounts,
    jobCreator: await JobCreatorClient.fromDeployment(jobCreator, deployment),
    resourceProvider: await ResourceProviderClient.fromDeployment(resourceProvider, deployment),
    solver: await SolverClient.fromDeployment(solver, deployment),
    mediators: await Promise.all(accounts.mediators.map((m) => MediatorClient.fromDeployment(m, deployment))),
    registryClient: await RegistryClient.fromDeployment(stranger, deployment),
    clientOptions: {
      market: deployment.contracts.DealMarket.address,
      registry: deployment.contracts.ServiceRegistry.address,
      token: deployment.contracts.AccordToken.address,
      fromBlock: deployment.contracts.DealMarket.blockNumber,
    },
  };
}

export const DEFAULT_PRICING: DealPricing = {
  instruction_price: 2n,
  payment_collateral: 100n,
  results_collateral_multiple: 2n,
  mediation_fee: 5n,
};

export const DEFAULT_TIMEOUTS: DealTimeouts = {
  agree: { timeout: 3600n, collateral: 0n },
  submit_results: { timeout: 3600n, collateral: 10n },
  judge_results: { timeout: 3600n, collateral: 3n },
  mediate_results: { timeout: 3600n, collateral: 0n },
};

let nonce = 0;

export type DealOverrides = {
  pricing?: Partial<DealPricing>;
  timeouts?: Partial<DealTimeouts>;
  mediators?: string[];
  jobCreator?: string;
  resourceProvider?: string;
  solver?: string;
};

/** A deal between the fixture's parties, matched by the model's getDeal (unique per call). */
export async function makeDeal(accounts: Accounts, overrides: DealOverrides = {}): Promise<Deal> {
  nonce += 1;
  const solver = overrides.solver ?? accounts.solver.address;
  const mediators = overrides.mediators ?? accounts.mediators.map((m) => m.address);
  const pricing = { ...DEFAULT_PRICING, ...overrides.pricing };
  const timeouts = { ...DEFAULT_TIMEOUTS, ...overrides.timeouts };
  const jobOffer: JobOffer = {
    id: "",
    created_at: 1_700_000_000_000 + nonce,
    job_creator: overrides.jobCreator ?? accounts.jobCreator.address,
    module: { name: "cowsay", repo: "https://github.com/example/modules", hash: "v1.0.0", path: "cowsay.tmpl" },
    spec: { gpu: 0, cpu: 1000, ram: 1024 },
    inputs: { Message: `hello ${nonce}` },
    mode: "MarketPrice",
    pricing,
    timeouts,
    trusted_parties: { solver, mediator: mediators },
  };
  const resourceOffer: ResourceOffer = {
    id: "",
    created_at: 1_700_000_000_000 + nonce,
    resource_provider: overrides.resourceProvider ?? accounts.resourceProvider.address,
    index: 0,
    spec: { gpu: 0, cpu: 4000, ram: 8192 },
    modules: null,
    mode: "FixedPrice",
    default_pricing: pricing,
    default_timeouts: timeouts,
    module_pricing: null,
    module_timeouts: null,
    trusted_parties: { solver, mediator: mediators },
  };
  return getDeal(jobOffer, resourceOffer);
}

/** A results CIDv0 (any 32-byte digest makes one). */
export const RESULTS_CID = "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG";

/** Moves the chain past a deal step's deadline. */
export async function passDeadline(deadline: bigint | null): Promise<void> {
  if (deadline === null) throw new Error("the deal has no deadline in its state");
  await time.increaseTo(deadline + 1n);
}

/** Runs `action` and returns the AccordContractError it must throw. */
export async function expectContractError(action: Promise<unknown>, errorName: string): Promise<AccordContractError> {
  try {
    await action;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(AccordContractError);
    const decoded = error as AccordContractError;
    expect(decoded.errorName, decoded.message).to.equal(errorName);
    return decoded;
  }
  expect.fail(`expected ${errorName}, but the action succeeded`);
}

/** Runs `action` and returns the error it must throw, checked with `type`. */
export async function expectError<T extends Error>(
  action: Promise<unknown> | (() => unknown),
  type: new (...args: never[]) => T,
): Promise<T> {
  try {
    await (typeof action === "function" ? action() : action);
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(type);
    return error as T;
  }
  expect.fail(`expected a ${type.name}, but nothing was thrown`);
}

/** An address as the event decoder gives it (lower-case hex). */
export function lower(address: string): string {
  return address.toLowerCase();
}

/** The state name of a DealStateChange (the event carries the enum index, a uint8 decoded as bigint). */
export function stateName(event: { args: { state: bigint } }): AgreementStateName {
  return getAgreementStateString(Number(event.args.state));
}
