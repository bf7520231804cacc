// Gathering an m-of-n attestation: the provider (or anyone holding its signed report) sends the report to each of the
// job's oracles over HTTP and keeps the signatures of those that agree on one outcome. Oracles that refuse, are down
// or decide otherwise are reported, not fatal, as long as `threshold` agree.

import {
  parseAttestation,
  parseSignedJobReport,
  signedJobReportToJson,
  type Attestation,
  type SignedJobReport,
} from "../escrow";
import { AccordError } from "../model/errors";

export type OracleAnswer =
  | { url: string; ok: true; attestation: Attestation; signature: string; signer: string }
  | { url: string; ok: false; status?: number; error: string };

export type CollectedAttestation = {
  attestation: Attestation;
  signatures: string[];
  answers: OracleAnswer[];
};

export class AttestationNotCollectedError extends AccordError {
  override name = "AttestationNotCollectedError";
  readonly answers: OracleAnswer[];

  constructor(message: string, answers: OracleAnswer[]) {
    super(message);
    this.answers = answers;
  }
}

type RecordJson = {
  attestation: { jobId: string; bps: number; runSeconds: string };
  signature: string;
  signer: string;
};

async function ask(url: string, report: SignedJobReport, timeoutMs: number): Promise<OracleAnswer> {
  try {
    const response = await fetch(new URL("/oracle/reports", url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(signedJobReportToJson(report)),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as RecordJson & { error?: string };
    if (response.status === 202) return { url, ok: false, status: 202, error: "kept: the job's oracle is a contract" };
    if (!response.ok) return { url, ok: false, status: response.status, error: body.error ?? response.statusText };
    return {
      url,
      ok: true,
      attestation: parseAttestation(body.attestation),
      signature: body.signature,
      signer: body.signer,
    };
  } catch (error) {
    return { url, ok: false, error: (error as Error).message };
  }
}

/**
 * Sends `report` to every oracle in `urls`: each one's attestation, or why it gave none (status 202: it kept the
 * report of a job whose oracle is a contract, for the operator quorum to read).
 */
export function postReport(
  urls: readonly string[],
  report: SignedJobReport,
  options: { timeoutMs?: number } = {},
): Promise<OracleAnswer[]> {
  return Promise.all(urls.map((url) => ask(url, report, options.timeoutMs ?? 10_000)));
}

/**
 * Sends `report` to every oracle in `urls` and returns the outcome at least `threshold` of them signed, with their
 * signatures (the escrow client's `attest` places them by index). AttestationNotCollectedError when no outcome
 * reaches the threshold, with every answer.
 */
export async function collectAttestation(
  urls: readonly string[],
  report: SignedJobReport,
  threshold: number,
  options: { timeoutMs?: number } = {},
): Promise<CollectedAttestation> {
  const answers = await postReport(urls, report, options);
  const groups = new Map<string, { attestation: Attestation; signatures: string[] }>();
  for (const answer of answers) {
    if (!answer.ok) continue;
    const key = `${answer.attestation.bps}/${answer.attestation.runSeconds}`;
    const group = groups.get(key) ?? { attestation: answer.attestation, signatures: [] };
    group.signatures.push(answer.signature);
    groups.set(key, group);
  }
  const best = [...groups.values()].sort((a, b) => b.signatures.length - a.signatures.length)[0];
  if (!best || best.signatures.length < threshold) {
    const failures = answers.filter((a) => !a.ok).map((a) => `${a.url}: ${(a as { error: string }).error}`);
    throw new AttestationNotCollectedError(
      `job ${report.report.jobId}: ${best?.signatures.length ?? 0} of the ${threshold} oracle signatures needed agree` +
        (failures.length ? ` (${failures.join("; ")})` : ""),
      answers,
    );
  }
  return { ...best, answers };
}

/**
 * The provider's signed report of a job from the first of `urls` (oracles' GET /oracle/reports/:jobId) that keeps
 * it, parsed; undefined when none does. The caller checks the signer (reportSigner) against the job's provider.
 */
export async function fetchJobReport(
  urls: readonly string[],
  jobId: string,
  options: { timeoutMs?: number } = {},
): Promise<SignedJobReport | undefined> {
  for (const url of urls) {
    try {
      const response = await fetch(new URL(`/oracle/reports/${jobId}`, url), {
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      if (!response.ok) continue;
      return parseSignedJobReport(await response.json());
    } catch {
      // Down, or a report that does not parse: the next source.
    }
  }
  return undefined;
}
