// A Hardhat network served over JSON-RPC from inside this process (what `npx hardhat node` runs), so
// `accord dev` and the tests get a real HTTP endpoint without spawning a second process.
import type { EIP1193Provider } from "hardhat/types";

export type LocalNode = {
  url: string;
  close(): Promise<void>;
};

export async function startLocalNode(options: {
  provider: EIP1193Provider;
  hostname?: string;
  port?: number;
}): Promise<LocalNode> {
  // Hardhat exports no public API for this; the internal server is what its `node` task uses.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { JsonRpcServer } = require("hardhat/internal/hardhat-network/jsonrpc/server") as {
    JsonRpcServer: new (config: { hostname: string; port: number; provider: EIP1193Provider }) => {
      listen(): Promise<{ address: string; port: number }>;
      close(): Promise<void>;
    };
  };
  const server = new JsonRpcServer({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 8545,
    provider: options.provider,
  });
  const { address, port } = await server.listen();
  return { url: `http://${address}:${port}`, close: () => server.close() };
}
