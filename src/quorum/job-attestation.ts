// The job-attestation task type: the operator quorum as a job's oracle (QuorumJobOracle's tasks). For a task, the
// operator reads the provider's signed report of the job (from the oracles' report relay, GET /oracle/reports/:jobId),
// checks that the job's provider signed it and that the chain does not contradict it, and answers the outcome the
// same policy an `accord oracle` key decides by (src/escrow/policy.ts), so a quorum and a key set agree on a report.
// A job it has no report for, or one the chain contradicts, is not answered (no signature): an outcome nobody can
// justify never gets a quorum by default, and the job is refunded when its attestation window ends.

import { getAddress, type TypedDataDomain } from "ethers";
import {
  decideOutcome,
  decodeJobAttestationPayload,
  encodeJobAttestationResponse,
  reportSigner,
  resolveOutcomePolicy,
  type JobFacts,
  type OutcomePolicy,
  type SignedJobReport,
} from "../escrow";
import { sameAddress } from "../model/address";
import { AccordValidationError } from "../model/errors";
import { TaskPayloadError, type TaskType } from "./task-types";

export type JobAttestationOptions = {
  /** The QuorumJobOracle whose tasks this type answers (their creator). */
  jobOracle: string;
  /** JobEscrow's EIP-712 domain (reports are signed in it). */
  domain: TypedDataDomain;
  /** The chain's facts of a job (JobEscrowClient.jobFacts). */
  jobFacts(jobId: string): Promise<JobFacts>;
  /** The provider's signed report of a job, if any source has it (src/oracle's fetchJobReport). */
  loadReport(jobId: string): Promise<SignedJobReport | undefined>;
  policy?: Partial<OutcomePolicy>;
};

const TYPE = "job-attestation";

export function jobAttestationTaskType(options: JobAttestationOptions): TaskType {
  const oracle = getAddress(options.jobOracle);
  const policy = resolveOutcomePolicy(options.policy);
  return {
    id: TYPE,
    matches: (task) => getAddress(task.creator) === oracle,
    async respond(_task, payload) {
      let decoded: ReturnType<typeof decodeJobAttestationPayload>;
      try {
        decoded = decodeJobAttestationPayload(payload);
      } catch (error) {
        throw new TaskPayloadError(TYPE, "payload", `is not a job-attestation payload (${(error as Error).message})`);
      }
      const signed = await options.loadReport(decoded.jobId);
      if (!signed) throw new TaskPayloadError(TYPE, "jobId", `${decoded.jobId} has no report from its provider`);
      if (signed.report.jobId.toLowerCase() !== decoded.jobId.toLowerCase()) {
        throw new TaskPayloadError(TYPE, "jobId", "the report found is for another job");
      }
      const signer = reportSigner(signed, options.domain);
      if (!sameAddress(signer, decoded.provider)) {
        throw new TaskPayloadError(TYPE, "provider", `the report is signed by ${signer}, not the job's provider`);
      }
      try {
        const { attestation } = decideOutcome(await options.jobFacts(decoded.jobId), signed.report, policy);
        return encodeJobAttestationResponse(attestation);
      } catch (error) {
        if (error instanceof AccordValidationError) {
          throw new TaskPayloadError(TYPE, error.field, `(the chain contradicts the report) ${error.rule}`);
        }
        throw error;
      }
    },
  };
}
