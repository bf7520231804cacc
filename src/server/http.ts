// Small HTTP helpers the servers share (the indexer's API, the solver's, the data server, the operator node's): JSON
// answers, bodies read with a size limit, and listening on a port with a close that does not wait for held sockets.

import http from "node:http";
import type { AddressInfo } from "node:net";
import type pino from "pino";

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Reads the request body, at most `max` bytes; null when it is larger, "aborted" when the client went away. */
export function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | null | "aborted"> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    });
    const abort = (): void => {
      if (!done) {
        done = true;
        resolve("aborted");
      }
    };
    req.on("error", abort);
    req.on("close", abort);
  });
}

/** 413 for a body over `maxBodyBytes`, and the connection closed (the rest of the body is not read). */
export function sendTooLarge(res: http.ServerResponse, maxBodyBytes: number): void {
  sendJson(
    res,
    413,
    { errors: [{ message: `Request body exceeds ${maxBodyBytes} bytes`, extensions: { code: "PAYLOAD_TOO_LARGE" } }] },
    { connection: "close" },
  );
  res.on("finish", () => res.socket?.destroy());
}

/**
 * A request's JSON body, or undefined once the request is answered: 413 over `maxBodyBytes`, 400 (field "(body)") for
 * a body that is not JSON, nothing for a client that went away.
 */
export async function readJsonBody(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  maxBodyBytes: number,
): Promise<{ value: unknown } | undefined> {
  const body = await readBody(req, maxBodyBytes);
  if (body === "aborted") return undefined;
  if (body === null) {
    sendTooLarge(res, maxBodyBytes);
    return undefined;
  }
  try {
    return { value: JSON.parse(body.toString("utf8")) as unknown };
  } catch {
    sendJson(res, 400, { error: "(body): not JSON", field: "(body)" });
    return undefined;
  }
}

/**
 * An HTTP server of JSON answers running `handle` per request: a failure inside it is logged and becomes a 500 for
 * that request (or ends a response already started), never a crash; a slow or stuck client cannot hold a socket.
 */
export function jsonApiServer(
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
  options: { logger?: pino.Logger; what: string },
): http.Server {
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      options.logger?.error({ err: error }, `${options.what} request failed`);
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.destroy();
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  return server;
}

/** graphql-yoga's logger on pino (errors as `err`). */
export function yogaLogger(logger: pino.Logger) {
  return {
    debug: (...args: unknown[]) => logger.debug({ args }, "yoga"),
    info: (...args: unknown[]) => logger.info({ args }, "yoga"),
    warn: (...args: unknown[]) => logger.warn({ args }, "yoga"),
    error: (...args: unknown[]) =>
      logger.error(
        { err: args.find((a) => a instanceof Error), args: args.filter((a) => !(a instanceof Error)) },
        "yoga",
      ),
  };
}

/** A server listening on a port: its URL, and a close that also ends the connections still open. */
export type ListeningServer = { url: string; server: http.Server; close(): Promise<void> };

/** Starts `server` on `host:port` (default 127.0.0.1 and any free port); rejects if the port cannot be bound. */
export async function listen(server: http.Server, options: { host?: string; port?: number }): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Held connections (keep-alive sockets, a retrieval stream waiting for funds) would keep close() waiting.
        server.closeAllConnections();
      }),
  };
}
