// A Hardhat network served over JSON-RPC from inside this process (what `npx hardhat node` runs), so
// `accord dev` and the tests get a real HTTP endpoint without spawning a second process.
//
// Only Hardhat's core package is needed (a runtime dependency of `accord dev`): the provider is built from a
// configuration given here, not from a hardhat.config.ts, so nothing compiles and no plugin loads.
import type { EIP1193Provider, EthereumProvider } from "hardhat/types";

/** The in-process network `accord dev` runs: Hardhat's defaults (its 20 funded accounts) on prague, chain 31337. */
export const LOCAL_NETWORK = { chainId: 31337, hardfork: "prague" } as const;

/** The JSON-RPC port `hardhat node` and `accord dev` use. */
export const LOCAL_NODE_PORT = 8545;

export type LocalNode = {
  url: string;
  close(): Promise<void>;
};

export type LocalProviderOptions = {
  /** Default LOCAL_NETWORK.chainId. */
  chainId?: number;
  /** Default LOCAL_NETWORK.hardfork. */
  hardfork?: string;
  /** Hardhat's per-request console logging (as `hardhat node` prints). Default off. */
  loggingEnabled?: boolean;
  /**
   * Also mine an (empty) block every this many ms, besides one per transaction, and let blocks share a timestamp, so
   * block time follows the clock: on an idle chain deadlines read from the latest block pass when they should, and a
   * busy one (several transactions a second, a block each) does not run ahead of the clock, as it does when each block
   * must be a second after the last. Default off.
   */
  intervalMiningMs?: number;
};

/**
 * Hardhat's in-process network provider, as `hardhat node` builds it for its default network (the same default
 * accounts, automining, gas defaults and provider wrappers), configured with `options` instead of a config file.
 */
export async function createLocalProvider(options: LocalProviderOptions = {}): Promise<EthereumProvider> {
  // Hardhat exports no public API for this outside a Hardhat runtime; these are what hre.network.provider uses.
  /* eslint-disable @typescript-eslint/no-require-imports -- Hardhat internals without types of their own */
  const { resolveConfig } = require("hardhat/internal/core/config/config-resolution") as {
    resolveConfig: (configPath: string, userConfig: object) => unknown;
  };
  const { createProvider } = require("hardhat/internal/core/providers/construction") as {
    createProvider: (config: unknown, networkName: string) => Promise<EthereumProvider>;
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  // The path only anchors the (unused) project paths; it must exist, so it is this file.
  const config = resolveConfig(__filename, {
    networks: {
      hardhat: {
        chainId: options.chainId ?? LOCAL_NETWORK.chainId,
        hardfork: options.hardfork ?? LOCAL_NETWORK.hardfork,
        loggingEnabled: options.loggingEnabled ?? false,
        ...(options.intervalMiningMs
          ? { mining: { auto: true, interval: options.intervalMiningMs }, allowBlocksWithSameTimestamp: true }
          : {}),
      },
    },
  });
  return createProvider(config, "hardhat");
}

/** Serves `provider` (default: a new createLocalProvider()) over HTTP and WebSocket JSON-RPC. */
export async function startLocalNode(
  options: {
    provider?: EIP1193Provider;
    hostname?: string;
    port?: number;
    /** For the provider made here (see LocalProviderOptions). */
    intervalMiningMs?: number;
  } = {},
): Promise<LocalNode & { provider: EIP1193Provider }> {
  const provider = options.provider ?? (await createLocalProvider({ intervalMiningMs: options.intervalMiningMs }));
  // Hardhat exports no public API for this; the internal server is what its `node` task uses.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a Hardhat internal without types of its own
  const { JsonRpcServer } = require("hardhat/internal/hardhat-network/jsonrpc/server") as {
    JsonRpcServer: new (config: { hostname: string; port: number; provider: EIP1193Provider }) => {
      listen(): Promise<{ address: string; port: number }>;
      close(): Promise<void>;
    };
  };
  const server = new JsonRpcServer({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? LOCAL_NODE_PORT,
    provider,
  });
  const { address, port } = await server.listen();
  return { url: `http://${address}:${port}`, provider, close: () => server.close() };
}
