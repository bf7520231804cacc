// `accord oracle`'s HTTP API (node:http, as the operator node's): POST /oracle/reports (a provider's signed report;
// the answer is the signed attestation, 200, or for a job whose oracle is a contract the report kept, 202), GET
// /oracle/attestations/:jobId (what it signed for a job), GET /oracle/reports/:jobId (the report it kept), GET
// /oracle/health. Bodies are size-limited (413), every answer is JSON, a refusal names the field, and a failure
// inside a handler is a 500 for that request, never a crash.

import type http from "node:http";
import type { Logger } from "pino";
import { jsonApiServer, listen, readJsonBody, sendJson, type ListeningServer } from "../server/http";
import { OracleRefusedError, type JobOracle } from "./oracle";

export type OracleServerOptions = {
  oracle: JobOracle;
  host?: string;
  port?: number;
  /** Default 16 KiB (a report is a few hundred bytes). */
  maxBodyBytes?: number;
  logger?: Logger;
};

const REPORT_PATH = /^\/oracle\/reports\/(0x[0-9a-fA-F]{64})$/;
const ATTESTATION_PATH = /^\/oracle\/attestations\/(0x[0-9a-fA-F]{64})$/;

export async function serveOracle(options: OracleServerOptions): Promise<ListeningServer> {
  const { oracle, logger } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = (req.url ?? "/").split("?")[0];
    if (url === "/oracle/reports") {
      if (req.method !== "POST") return sendJson(res, 405, { error: "use POST" }, { allow: "POST" });
      const body = await readJsonBody(req, res, maxBodyBytes);
      if (!body) return;
      const parsed = body.value;
      try {
        const outcome = await oracle.submitReport(parsed);
        if (outcome.kind === "relayed") {
          logger?.info({ jobId: outcome.jobId }, "report kept for the job's oracle contract");
          return sendJson(res, 202, { jobId: outcome.jobId, relayed: true, report: outcome.report });
        }
        const { record } = outcome;
        logger?.info(
          {
            jobId: record.jobId,
            bps: record.attestation.bps,
            runSeconds: record.attestation.runSeconds,
            status: record.status,
          },
          "attestation signed",
        );
        return sendJson(res, 200, record);
      } catch (error) {
        if (error instanceof OracleRefusedError) {
          logger?.info({ field: error.field, status: error.status }, error.message);
          return sendJson(res, error.status, { error: error.message, field: error.field });
        }
        throw error;
      }
    }
    if (req.method !== "GET") return sendJson(res, 405, { error: "use GET" }, { allow: "GET" });
    if (url === "/oracle/health") {
      return sendJson(res, 200, { oracle: await oracle.address(), signed: oracle.signedCount, policy: oracle.policy });
    }
    const reportMatch = REPORT_PATH.exec(url);
    if (reportMatch) {
      const report = oracle.reportFor(reportMatch[1]);
      return report
        ? sendJson(res, 200, report)
        : sendJson(res, 404, { error: "no report kept for this job", field: "jobId" });
    }
    const match = ATTESTATION_PATH.exec(url);
    if (match) {
      const record = oracle.attestationFor(match[1]);
      return record
        ? sendJson(res, 200, record)
        : sendJson(res, 404, { error: "no attestation signed for this job", field: "jobId" });
    }
    if (url.startsWith("/oracle/attestations/") || url.startsWith("/oracle/reports/")) {
      return sendJson(res, 400, { error: "jobId: must be 32 bytes in hex", field: "jobId" });
    }
    return sendJson(res, 404, { error: "not found" });
  }

  return listen(jsonApiServer(handle, { logger, what: "oracle" }), options);
}
