// The deployment file: `deployments/<network>.json`, where the contracts of one network live.
//
//   { "chainId": 31337, "network": "localhost", "deployedAt": "2025-01-01T00:00:00.000Z",
//     "contracts": { "AccordToken": { "address": "0x…", "blockNumber": 1, "transactionHash": "0x…" },
//                    "DealMarket": { … }, "ServiceRegistry": { … }, "CapacityPools": { … }, "PaymentChannels": { … },
//                    "OperatorRegistry": { … }, "TaskManager": { … }, "QuorumMediator": { … },
//                    "SquareTaskVerifier": { … }, "MachineRegistry": { … }, "JobEscrow": { … },
//                    "QuorumJobOracle": { … } } }

import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { getAddress, isHexString, type ContractRunner, type Provider } from "ethers";
import { AccordError } from "../model";

/** The contracts every deployment file names. */
export const ACCORD_CONTRACT_NAMES = [
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
] as const;
export type AccordContractName = (typeof ACCORD_CONTRACT_NAMES)[number];

/** Where and when one contract was deployed. */
export type DeployedContract = {
  /** EIP-55 checksummed. */
  address: string;
  /** The block of the deployment transaction: where event scans of this contract can start. */
  blockNumber: number;
  transactionHash: string;
};

/** The content of `deployments/<network>.json`. Extra contracts beyond these are allowed and kept. */
export type AccordDeployment = {
  chainId: number;
  network: string;
  /** ISO 8601. */
  deployedAt: string;
  contracts: Record<AccordContractName, DeployedContract> & { [name: string]: DeployedContract };
};

/** The directory deployment files live in by default: `./deployments` under the working directory. */
export const DEFAULT_DEPLOYMENTS_DIR = "deployments";

/*//////////////////////////////////////////////////////////////
                              ERRORS
//////////////////////////////////////////////////////////////*/

/** Base of every deployment-file error. `path` is the file concerned ("" when the value came from memory). */
export class DeploymentError extends AccordError {
  override name = "DeploymentError";
  readonly path: string;

  constructor(filePath: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.path = filePath;
  }
}

/** No deployment file at the resolved path. */
export class DeploymentNotFoundError extends DeploymentError {
  override name = "DeploymentNotFoundError";

  constructor(filePath: string, options: { cause?: unknown } = {}) {
    super(filePath, `no deployment file at ${filePath}`, options);
  }
}

/**
 * The file is not valid JSON or a field breaks the format. `field` is a path into the object
 * ("contracts.DealMarket.address"), "" for the document as a whole.
 */
export class DeploymentFormatError extends DeploymentError {
  override name = "DeploymentFormatError";
  readonly field: string;
  readonly reason: string;

  constructor(filePath: string, field: string, reason: string, options: { cause?: unknown } = {}) {
    super(filePath, `invalid deployment${filePath ? ` ${filePath}` : ""}: ${field || "(root)"} ${reason}`, options);
    this.field = field;
    this.reason = reason;
  }
}

/** The file's chainId is not the chain the provider is connected to. */
export class DeploymentChainMismatchError extends DeploymentError {
  override name = "DeploymentChainMismatchError";
  /** The file's chainId. */
  readonly expectedChainId: bigint;
  /** The provider's. */
  readonly actualChainId: bigint;

  constructor(filePath: string, expectedChainId: bigint, actualChainId: bigint) {
    super(
      filePath,
      `deployment ${filePath || "(in memory)"} is for chain ${expectedChainId} but the provider is on chain ${actualChainId}`,
    );
    this.expectedChainId = expectedChainId;
    this.actualChainId = actualChainId;
  }
}

/** A contract of the file has no code at its address (e.g. a restarted local node). */
export class DeploymentCodeMissingError extends DeploymentError {
  override name = "DeploymentCodeMissingError";
  readonly contract: string;
  readonly address: string;

  constructor(filePath: string, contract: string, address: string) {
    super(filePath, `deployment ${filePath || "(in memory)"}: no code for ${contract} at ${address}`);
    this.contract = contract;
    this.address = address;
  }
}

/*//////////////////////////////////////////////////////////////
                            VALIDATION
//////////////////////////////////////////////////////////////*/

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseContract(value: unknown, field: string, source: string): DeployedContract {
  if (!isRecord(value)) throw new DeploymentFormatError(source, field, "must be an object");
  const { address, blockNumber, transactionHash } = value;
  let checksummed: string;
  if (typeof address !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(address)) {
    throw new DeploymentFormatError(source, `${field}.address`, "must be a 20-byte hex address (0x + 40 hex digits)");
  }
  try {
    checksummed = getAddress(address);
  } catch (cause) {
    throw new DeploymentFormatError(source, `${field}.address`, "has a wrong EIP-55 checksum", { cause });
  }
  if (checksummed === "0x0000000000000000000000000000000000000000") {
    throw new DeploymentFormatError(source, `${field}.address`, "must not be the zero address");
  }
  if (typeof blockNumber !== "number" || !Number.isSafeInteger(blockNumber) || blockNumber < 0) {
    throw new DeploymentFormatError(source, `${field}.blockNumber`, "must be a non-negative integer");
  }
  if (typeof transactionHash !== "string" || !isHexString(transactionHash, 32)) {
    throw new DeploymentFormatError(source, `${field}.transactionHash`, "must be a 32-byte hex string");
  }
  return { address: checksummed, blockNumber, transactionHash: transactionHash.toLowerCase() };
}

/**
 * Validates a parsed deployment document and returns it normalized (checksummed addresses, lower-case
 * hashes). Throws DeploymentFormatError naming the first bad field. `source` names the file in errors.
 */
export function parseDeployment(value: unknown, source = ""): AccordDeployment {
  if (!isRecord(value)) throw new DeploymentFormatError(source, "", "must be a JSON object");
  const { chainId, network, deployedAt, contracts } = value;
  if (typeof chainId !== "number" || !Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new DeploymentFormatError(source, "chainId", "must be a positive integer");
  }
  if (typeof network !== "string" || network === "") {
    throw new DeploymentFormatError(source, "network", "must be a non-empty string");
  }
  if (typeof deployedAt !== "string" || Number.isNaN(Date.parse(deployedAt))) {
    throw new DeploymentFormatError(source, "deployedAt", "must be an ISO 8601 date string");
  }
  if (!isRecord(contracts)) throw new DeploymentFormatError(source, "contracts", "must be an object");
  for (const name of ACCORD_CONTRACT_NAMES) {
    if (!(name in contracts)) throw new DeploymentFormatError(source, `contracts.${name}`, "is missing");
  }
  const parsed: Record<string, DeployedContract> = {};
  for (const [name, entry] of Object.entries(contracts)) {
    parsed[name] = parseContract(entry, `contracts.${name}`, source);
  }
  return {
    chainId,
    network,
    deployedAt,
    contracts: parsed as AccordDeployment["contracts"],
  };
}

/*//////////////////////////////////////////////////////////////
                           READ / WRITE
//////////////////////////////////////////////////////////////*/

export type DeploymentPathOptions = {
  /** Directory of `<network>.json` files; default `./deployments` (resolved against the working directory). */
  dir?: string;
};

/**
 * The file a network name or path stands for: a value that ends in ".json" or contains a path
 * separator is a path (resolved against the working directory); anything else is a network name,
 * `<dir>/<network>.json`.
 */
export function resolveDeploymentPath(networkOrPath: string, options: DeploymentPathOptions = {}): string {
  if (networkOrPath === "") throw new DeploymentError("", "a network name or deployment file path is required");
  if (networkOrPath.endsWith(".json") || networkOrPath.includes("/") || networkOrPath.includes(path.sep)) {
    return path.resolve(networkOrPath);
  }
  return path.resolve(options.dir ?? DEFAULT_DEPLOYMENTS_DIR, `${networkOrPath}.json`);
}

/**
 * Writes `<dir>/<deployment.network>.json` (or `options.path`), creating the directory; the file is
 * replaced atomically. Validates first. Returns the absolute path written.
 */
export function writeDeployment(
  deployment: AccordDeployment,
  options: DeploymentPathOptions & { path?: string } = {},
): string {
  const target = options.path ? path.resolve(options.path) : resolveDeploymentPath(deployment.network, options);
  const normalized = parseDeployment(deployment, target);
  mkdirSync(path.dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(normalized, null, 2)}\n`);
  renameSync(temporary, target);
  return target;
}

/** Reads and validates a deployment file, without touching the chain. */
export function readDeployment(networkOrPath: string, options: DeploymentPathOptions = {}): AccordDeployment {
  const file = resolveDeploymentPath(networkOrPath, options);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") throw new DeploymentNotFoundError(file, { cause });
    throw new DeploymentError(file, `cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new DeploymentFormatError(file, "", `is not valid JSON (${(cause as Error).message})`, { cause });
  }
  return parseDeployment(json, file);
}

export type LoadDeploymentOptions = DeploymentPathOptions & {
  /**
   * Checks the file's chainId against this provider's (or this runner's provider), throwing
   * DeploymentChainMismatchError on a difference.
   */
  provider?: Provider | ContractRunner | null;
  /** With a provider: also check each contract has code (DeploymentCodeMissingError). Default false. */
  checkCode?: boolean;
};

function providerOf(runner: Provider | ContractRunner | null | undefined): Provider | null {
  if (!runner) return null;
  if (typeof (runner as Provider).getNetwork === "function") return runner as Provider;
  return runner.provider ?? null;
}

/** Checks a deployment against the chain a provider is connected to (chain id, optionally code). */
export async function verifyDeployment(
  deployment: AccordDeployment,
  providerOrRunner: Provider | ContractRunner,
  options: { checkCode?: boolean; source?: string } = {},
): Promise<void> {
  const provider = providerOf(providerOrRunner);
  if (!provider) throw new DeploymentError(options.source ?? "", "the runner has no provider to check the deployment against");
  const { chainId } = await provider.getNetwork();
  if (chainId !== BigInt(deployment.chainId)) {
    throw new DeploymentChainMismatchError(options.source ?? "", BigInt(deployment.chainId), chainId);
  }
  if (options.checkCode) {
    for (const [name, contract] of Object.entries(deployment.contracts)) {
      const code = await provider.getCode(contract.address);
      if (code === "0x") throw new DeploymentCodeMissingError(options.source ?? "", name, contract.address);
    }
  }
}

/**
 * Loads `deployments/<network>.json` (or a path): reads, validates, and, given a provider, checks that
 * it is connected to the file's chain. Errors: DeploymentNotFoundError, DeploymentFormatError,
 * DeploymentChainMismatchError, DeploymentCodeMissingError.
 */
export async function loadDeployment(
  networkOrPath: string,
  options: LoadDeploymentOptions = {},
): Promise<AccordDeployment> {
  const deployment = readDeployment(networkOrPath, options);
  if (options.provider) {
    await verifyDeployment(deployment, options.provider, {
      checkCode: options.checkCode,
      source: resolveDeploymentPath(networkOrPath, options),
    });
  }
  return deployment;
}
