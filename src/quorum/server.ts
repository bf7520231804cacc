// The operator node's HTTP API (node:http, as the data server in src/retrieval/server.ts): POST /quorum/signatures
// (the inbox, inbox.ts), GET /quorum/tasks/:taskId (what this node knows of a task), GET /quorum/health. Bodies are
// size-limited (413), every answer is JSON, and a failure inside a handler is a 500 for that request, never a crash.

import http from "node:http";
import type { Logger } from "pino";
import { readBody, listen, sendJson, sendTooLarge, type ListeningServer } from "../server/http";
import { InboxError, type SignatureInbox } from "./inbox";

export type QuorumServer = ListeningServer;

export type QuorumServerOptions = {
  inbox: SignatureInbox;
  /** A task's view for GET /quorum/tasks/:taskId (undefined: 404). */
  describeTask(taskId: string): unknown;
  /** The body of GET /quorum/health. */
  health(): unknown;
  host?: string;
  port?: number;
  /** Default 64 KiB. */
  maxBodyBytes?: number;
  logger?: Logger;
};

const TASK_PATH = /^\/quorum\/tasks\/(0x[0-9a-fA-F]{64})$/;

export async function serveQuorum(options: QuorumServerOptions): Promise<QuorumServer> {
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      options.logger?.error({ err: error }, "quorum request failed");
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = (req.url ?? "/").split("?")[0];
    if (url === "/quorum/signatures") {
      if (req.method !== "POST") return sendJson(res, 405, { error: "use POST" }, { allow: "POST" });
      const body = await readBody(req, maxBodyBytes);
      if (body === "aborted") return;
      if (body === null) return sendTooLarge(res, maxBodyBytes);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch {
        return sendJson(res, 400, { error: "(body): not JSON", field: "(body)" });
      }
      try {
        const answer = await options.inbox.receive(parsed);
        return sendJson(res, 200, answer);
      } catch (error) {
        if (error instanceof InboxError) {
          options.logger?.debug({ field: error.field, status: error.status }, error.message);
          return sendJson(res, error.status, { error: error.message, field: error.field });
        }
        throw error;
      }
    }
    if (req.method !== "GET") return sendJson(res, 405, { error: "use GET" }, { allow: "GET" });
    if (url === "/quorum/health") return sendJson(res, 200, options.health());
    const task = TASK_PATH.exec(url);
    if (task) {
      const view = options.describeTask(task[1].toLowerCase());
      return view === undefined
        ? sendJson(res, 404, { error: "unknown task", field: "taskId" })
        : sendJson(res, 200, view);
    }
    if (url.startsWith("/quorum/tasks/"))
      return sendJson(res, 400, { error: "taskId: must be 32 bytes in hex", field: "taskId" });
    return sendJson(res, 404, { error: "not found" });
  }

  // A slow or stuck client must not hold a socket for ever.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  return listen(server, options);
}
