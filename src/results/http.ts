// Serving results the way an IPFS trustless gateway does (`GET /ipfs/<cid>` asking for a CAR): the receiver verifies
// every block itself, so the server needs no trust and the client no particular server. Only whole DAGs, as CARs,
// are served: no paths under a CID, no other response formats.

import type http from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sendJson } from "../server/http";
import { parseRoot } from "./blocks";
import { CAR_CONTENT_TYPE } from "./car";
import type { ResultStore } from "./store";

/** What the response's Content-Type says of the CAR: version 1, depth-first order, each block once. */
export const CAR_RESPONSE_TYPE = `${CAR_CONTENT_TYPE}; version=1; order=dfs; dups=n`;

const PREFIX = "/ipfs/";

/** True when the request asks for a CAR: `?format=car`, or an Accept naming the CAR media type. */
function wantsCar(url: URL, accept: string | undefined): boolean {
  if (url.searchParams.get("format") === "car") return true;
  return (accept ?? "").split(",").some((type) => type.split(";")[0].trim().toLowerCase() === CAR_CONTENT_TYPE);
}

/**
 * A request handler for `GET|HEAD /ipfs/<cid>?format=car` (or `Accept: application/vnd.ipld.car`) answering with
 * the DAG under `cid` as a CARv1. 400 for a malformed CID (or one that is not dag-pb over sha2-256), a path under
 * the CID or a request for another format; 404 when the store lacks the DAG or part of it; 405 for other methods.
 * Errors are JSON `{error}`. Resolves false, having answered nothing, for a path outside /ipfs/ (the caller routes
 * it elsewhere), true otherwise.
 */
export function resultsHandler(
  store: ResultStore,
): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (!url.pathname.startsWith(PREFIX)) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendJson(res, 405, { error: "only GET and HEAD are served" }, { allow: "GET, HEAD" });
      return true;
    }
    // A trailing slash names the same root; anything after a second one is a path.
    const cid = url.pathname.slice(PREFIX.length).replace(/\/$/, "");
    if (cid.includes("/")) {
      sendJson(res, 400, { error: "paths under a CID are not served: ask for the root" });
      return true;
    }
    try {
      parseRoot(cid);
    } catch (error) {
      sendJson(res, 400, { error: (error as Error).message });
      return true;
    }
    if (!wantsCar(url, req.headers.accept)) {
      sendJson(res, 400, { error: `only CARs are served: add ?format=car or Accept: ${CAR_CONTENT_TYPE}` });
      return true;
    }
    if (!(await store.has(cid))) {
      sendJson(res, 404, { error: `${cid} is not in this store` });
      return true;
    }
    res.writeHead(200, {
      "content-type": CAR_RESPONSE_TYPE,
      "content-disposition": `attachment; filename="${cid}.car"`,
      // The bytes are a function of the CID: cacheable for ever.
      "cache-control": "public, max-age=29030400, immutable",
      etag: `"${cid}.car"`,
      "x-content-type-options": "nosniff",
    });
    if (req.method === "HEAD") {
      res.end();
      return true;
    }
    try {
      // pipeline stops reading the store when the client goes away, and cuts the response short on a store error:
      // a truncated CAR, which the receiver refuses.
      await pipeline(Readable.from(store.exportCar(cid)), res);
    } catch {
      res.destroy();
    }
    return true;
  };
}
