// The operator node's HTTP API (node:http, as the data server in src/retrieval/server.ts): POST /quorum/signatures
// (the inbox, inbox.ts), GET /quorum/tasks/:taskId (what this node knows of a task), GET /quorum/health. Bodies are
// size-limited (413), every answer is JSON, and a failure inside a handler is a 500 for that request, never a crash.

import type http from "node:http";
import type { Logger } from "pino";
import { jsonApiServer, listen, readJsonBody, sendJson, type ListeningServer } from "../server/http";
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

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = (req.url ?? "/").split("?")[0];
    if (url === "/quorum/signatures") {
      if (req.method !== "POST") return sendJson(res, 405, { error: "use POST" }, { allow: "POST" });
      const body = await readJsonBody(req, res, maxBodyBytes);
      if (!body) return;
      const parsed = body.value;
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

  return listen(jsonApiServer(handle, { logger: options.logger, what: "quorum" }), options);
}
