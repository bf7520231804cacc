// Small HTTP helpers the GraphQL servers share (the indexer's API, the solver's): JSON answers and bodies read with a
// size limit, before graphql-yoga sees them.

import type http from "node:http";
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
