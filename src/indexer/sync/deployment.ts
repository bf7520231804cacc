// The deployment the indexer starts from: `deployments/<network>.json` =
// { chainId, network, deployedAt, contracts: { DealMarket: { address, blockNumber, transactionHash }, … } },
// read and validated by src/deployments; the indexer keeps only what it needs.

import {
  parseDeployment as parseDeploymentFile,
  readDeployment,
  type AccordDeployment,
} from "../../deployments/format";

export interface IndexedContract {
  /** Lower-case. */
  address: string;
  blockNumber: number;
}

export interface IndexerDeployment {
  chainId: number;
  network: string;
  dealMarket: IndexedContract;
  serviceRegistry: IndexedContract;
  /** Every contract of the deployment by name: a subgraph's data source of that name indexes it. */
  contracts: Record<string, IndexedContract>;
}

function isIndexerDeployment(value: unknown): value is IndexerDeployment {
  const v = value as Partial<IndexerDeployment> | null;
  return !!v && typeof v === "object" && !!v.dealMarket && !!v.serviceRegistry && typeof v.chainId === "number";
}

export function fromAccordDeployment(d: AccordDeployment): IndexerDeployment {
  const contracts: Record<string, IndexedContract> = {};
  for (const [name, c] of Object.entries(d.contracts)) {
    contracts[name] = { address: c.address.toLowerCase(), blockNumber: c.blockNumber };
  }
  return {
    chainId: d.chainId,
    network: d.network,
    dealMarket: contracts.DealMarket,
    serviceRegistry: contracts.ServiceRegistry,
    contracts,
  };
}

/** A deployment file's content (validated by src/deployments), or an IndexerDeployment as it is. */
export function parseDeployment(raw: unknown, source = ""): IndexerDeployment {
  if (isIndexerDeployment(raw)) {
    return raw.contracts
      ? raw
      : { ...raw, contracts: { DealMarket: raw.dealMarket, ServiceRegistry: raw.serviceRegistry } };
  }
  return fromAccordDeployment(parseDeploymentFile(raw, source));
}

/** Reads a deployment file, or `deployments/<network>.json` for a bare network name. */
export function loadDeployment(fileOrNetwork: string): IndexerDeployment {
  return fromAccordDeployment(readDeployment(fileOrNetwork));
}

/** The block to start indexing at: the earliest deployment block. */
export function startBlockOf(d: IndexerDeployment): number {
  return Math.min(d.dealMarket.blockNumber, d.serviceRegistry.blockNumber);
}

/** What identifies the indexed data: a different fingerprint means the stored entities are for something else. */
export function deploymentFingerprint(d: IndexerDeployment): string {
  return JSON.stringify({
    chainId: d.chainId,
    dealMarket: [d.dealMarket.address, d.dealMarket.blockNumber],
    serviceRegistry: [d.serviceRegistry.address, d.serviceRegistry.blockNumber],
  });
}
