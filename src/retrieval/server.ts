// One HTTP server for a data provider: paid retrieval under /retrieval/ and, beside it, the same store as a plain
// trustless gateway under /ipfs/ (resultsHandler: free, unmetered, for whoever the operator serves anyway), plus
// /health. `accord serve-data`, the tests and the benchmark all serve through it.

import http from "node:http";
import type { Logger } from "pino";
import { resultsHandler } from "../results/http";
import type { ResultStore } from "../results/store";
import { listen, sendJson, type ListeningServer } from "../server/http";
import type { RetrievalProvider } from "./provider";

export type DataServer = ListeningServer;

export async function serveData(options: {
  provider: RetrievalProvider;
  /** Also served as /ipfs/<cid>?format=car, unpaid; omit to serve paid retrieval only. */
  plain?: ResultStore;
  host?: string;
  port?: number;
  logger?: Logger;
}): Promise<DataServer> {
  const handlers = [options.provider.handler(), ...(options.plain ? [resultsHandler(options.plain)] : [])];
  const server = http.createServer((req, res) => {
    void (async () => {
      for (const handle of handlers) if (await handle(req, res)) return;
      if (req.url === "/health") sendJson(res, 200, { status: "ok" });
      else sendJson(res, 404, { error: "not found" });
    })().catch((error: unknown) => {
      options.logger?.error({ err: error }, "data request failed");
      if (!res.headersSent) sendJson(res, 500, { error: (error as Error).message });
      else res.destroy();
    });
  });
  return listen(server, options);
}
