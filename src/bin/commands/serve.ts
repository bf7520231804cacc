// `accord serve`: the GraphQL API over an index another process keeps (PostgreSQL), or over a PGlite
// directory no indexer holds open.
import type { Command } from "commander";
import { DEFAULTS } from "../../defaults";
import { closeOnSignal, createLogger, headLag } from "../indexing";
import { isTerminal, logFlags, resolveServe, storeFlags, type ServeFlags } from "../options";

export function registerServe(program: Command): void {
  const command = program.command("serve").description("serve the GraphQL API over an existing index (read-only)");
  storeFlags(command)
    .option("--rpc <url>", "JSON-RPC endpoint, for /ready (head lag)")
    .option("--subgraph <dir>", "the built subgraph the index was made with, for its schema (default Accord's)")
    .option("--host <host>", `host (default ${DEFAULTS.host})`)
    .option("--port <port>", `port (default ${DEFAULTS.port})`);
  logFlags(command).action(async (flags: ServeFlags) => {
    const settings = resolveServe(flags, process.env, isTerminal());
    const logger = createLogger(settings.log);
    /* eslint-disable @typescript-eslint/no-require-imports -- the store and server only when the command runs */
    const { openStore, loadSubgraph, INDEXING_ERROR_META } = require("../../indexer") as typeof import("../../indexer");
    const { createServer } = require("../../server") as typeof import("../../server");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const model = settings.subgraph === undefined ? undefined : loadSubgraph(settings.subgraph).model;
    const store = await openStore({
      model,
      databaseUrl: settings.store.databaseUrl,
      dataDir: settings.store.dataDir,
      schema: settings.store.dbSchema,
      pgliteTemplate: settings.store.pgliteTemplate,
      pgliteThread: settings.store.pgliteThread,
    });
    const rpc = settings.rpcUrl;
    // The indexer is another process: its indexing error is read from the store (at most once a second).
    let checked = 0;
    let failed = false;
    const hasIndexingErrors = async (): Promise<boolean> => {
      if (Date.now() - checked > 1000) {
        checked = Date.now();
        failed = Boolean(await store.getMeta(INDEXING_ERROR_META));
      }
      return failed;
    };
    const server = await createServer({
      store,
      model,
      hasIndexingErrors,
      host: settings.host,
      port: settings.port,
      logger,
      headLag: rpc ? () => headLag(rpc, store) : undefined,
    });
    closeOnSignal(async () => {
      await server.close();
      await store.close();
    });
  });
}
