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
  /** Every contract of the deployment by name: a subgraph's data source of that name indexes it. */
  contracts: Record<string, IndexedContract>;
}

/** An IndexerDeployment as it is (a deployment file has `deployedAt`, and transaction hashes in its contracts). */
function isIndexerDeployment(value: unknown): value is IndexerDeployment {
  const v = value as Partial<IndexerDeployment & { deployedAt: unknown }> | null;
  return (
    !!v &&
    typeof v === "object" &&
    typeof v.chainId === "number" &&
    v.deployedAt === undefined &&
    !!v.contracts &&
    typeof v.contracts === "object" &&
    Object.values(v.contracts).every((c) => typeof c?.address === "string" && typeof c.blockNumber === "number")
  );
}

export function fromAccordDeployment(d: AccordDeployment): IndexerDeployment {
  const contracts: Record<string, IndexedContract> = {};
  for (const [name, c] of Object.entries(d.contracts)) {
    contracts[name] = { address: c.address.toLowerCase(), blockNumber: c.blockNumber };
  }
  return { chainId: d.chainId, network: d.network, contracts };
}

/** A deployment file's content (validated by src/deployments), or an IndexerDeployment as it is. */
export function parseDeployment(raw: unknown, source = ""): IndexerDeployment {
  if (isIndexerDeployment(raw)) return raw;
  return fromAccordDeployment(parseDeploymentFile(raw, source));
}

/** Reads a deployment file, or `deployments/<network>.json` for a bare network name. */
export function loadDeployment(fileOrNetwork: string): IndexerDeployment {
  return fromAccordDeployment(readDeployment(fileOrNetwork));
}
