// The provider's report of a run, what an oracle reads a job's outcome from: EIP-712
// `JobReport(bytes32 jobId,uint8 exitCode,uint64 runSeconds,bytes32 results)` in JobEscrow's domain, so a report
// names its job, chain and escrow and cannot be replayed elsewhere; the oracle checks that the job's provider
// signed it. `exitCode` is the job's exit status (128 + n for a job killed by signal n, the shell's convention);
// `results` the digest of the results' CID (zero when there are none).

import { verifyTypedData, type Signer, type TypedDataDomain, type TypedDataField } from "ethers";
import { AccordValidationError } from "../model/errors";
import { bytes32Input, uintInput, ZERO_BYTES32 } from "../pools/inputs";

export const JOB_REPORT_TYPES: Record<string, TypedDataField[]> = {
  JobReport: [
    { name: "jobId", type: "bytes32" },
    { name: "exitCode", type: "uint8" },
    { name: "runSeconds", type: "uint64" },
    { name: "results", type: "bytes32" },
  ],
};

export type JobReport = { jobId: string; exitCode: number; runSeconds: bigint; results: string };

/** A report and the provider's signature over it; the JSON form carries runSeconds as a decimal string. */
export type SignedJobReport = { report: JobReport; signature: string };
export type SignedJobReportJson = {
  report: { jobId: string; exitCode: number; runSeconds: string; results: string };
  signature: string;
};

const SUBJECT = "job report";

/** Checks a report's shape, naming the field. */
export function parseJobReport(input: unknown): JobReport {
  if (input === null || typeof input !== "object") {
    throw new AccordValidationError("", "must be {jobId, exitCode, runSeconds, results}", { subject: SUBJECT });
  }
  const value = input as Record<string, unknown>;
  return {
    jobId: bytes32Input(value.jobId, "jobId", SUBJECT),
    exitCode: Number(uintInput(value.exitCode, "exitCode", 8, SUBJECT, "exit status")),
    runSeconds: uintInput(value.runSeconds, "runSeconds", 64, SUBJECT, "seconds"),
    results:
      value.results === undefined ? ZERO_BYTES32 : bytes32Input(value.results, "results", SUBJECT, { allowZero: true }),
  };
}

/** Checks a signed report as it comes over the wire (the signature's recovery is `reportSigner`'s). */
export function parseSignedJobReport(input: unknown): SignedJobReport {
  if (input === null || typeof input !== "object") {
    throw new AccordValidationError("", "must be {report, signature}", { subject: SUBJECT });
  }
  const { report, signature } = input as Record<string, unknown>;
  if (typeof signature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(signature)) {
    throw new AccordValidationError("signature", "must be a 65-byte signature in hex", { subject: SUBJECT });
  }
  return { report: parseJobReport(report), signature };
}

export function signedJobReportToJson(signed: SignedJobReport): SignedJobReportJson {
  return { report: { ...signed.report, runSeconds: signed.report.runSeconds.toString() }, signature: signed.signature };
}

/** The provider signs its report. */
export async function signJobReport(
  signer: Signer,
  report: JobReport,
  domain: TypedDataDomain,
): Promise<SignedJobReport> {
  return { report, signature: await signer.signTypedData(domain, JOB_REPORT_TYPES, report) };
}

/** Who signed a report; AccordValidationError (field "signature") when it cannot be recovered. */
export function reportSigner(signed: SignedJobReport, domain: TypedDataDomain): string {
  try {
    return verifyTypedData(domain, JOB_REPORT_TYPES, signed.report, signed.signature);
  } catch (cause) {
    throw new AccordValidationError("signature", "is not a valid ECDSA signature", { subject: SUBJECT, cause });
  }
}
