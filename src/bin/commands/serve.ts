// `accord serve`: the GraphQL API over an index another process keeps (PostgreSQL), or over a PGlite
// directory no indexer holds open.
import type { Command } from "commander";
import { closeOnSignal, createLogger, headLag } from "../indexing";

type ServeFlags = {
  database?: string;
  dataDir: string;
  dbSchema: string;
  host: string;
  port: string;
  rpc?: string;
  logLevel: string;
};

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("serve the GraphQL API over an existing index (read-only)")
    .option("--database <url>", "PostgreSQL URL (default: $DATABASE_URL)")
    .option("--data-dir <dir>", "PGlite data directory, when no database URL is given", ".accord/db")
    .option("--db-schema <name>", "SQL schema of the tables", "accord")
    .option("--rpc <url>", "JSON-RPC endpoint, for /ready (head lag)")
    .option("--host <host>", "host", "127.0.0.1")
    .option("--port <port>", "port", "4000")
    .option("--log-level <level>", "pino level", process.env.ACCORD_LOG_LEVEL ?? "info")
    .action(async (flags: ServeFlags) => {
      const logger = createLogger(flags.logLevel);
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { openStore } = require("../../indexer") as typeof import("../../indexer");
      const { createServer } = require("../../server") as typeof import("../../server");
      /* eslint-enable @typescript-eslint/no-require-imports */
      const store = await openStore({
        databaseUrl: flags.database ?? process.env.DATABASE_URL,
        dataDir: flags.dataDir,
        schema: flags.dbSchema,
      });
      const rpc = flags.rpc;
      const server = await createServer({
        store,
        host: flags.host,
        port: Number(flags.port),
        logger,
        headLag: rpc ? () => headLag(rpc, store) : undefined,
      });
      logger.info({ url: server.url }, "GraphQL API listening");
      closeOnSignal(async () => {
        await server.close();
        await store.close();
      });
    });
}
