// How an oracle turns a provider's report into an outcome: one rule for `accord oracle` (m-of-n keys) and the
// operator quorum's job-attestation task (QuorumJobOracle), so both sign the same outcome for the same report.
//
// The report is cross-checked with the chain before anything is decided: the job is attestable now, the run is no
// longer than the job's time limit, no longer than the time between acceptance and completion on chain, and equal to
// the run time the provider reported on chain when it did. The run's status is then read from the exit code
// (a code the policy prices itself first, then 0 = succeeded, a run that reached its time limit = timed out, any
// other = failed), and the policy's table gives its basis points.

import { AccordValidationError } from "../model/errors";
import { MAX_BPS, OUTCOMES } from "./constants";
import type { Attestation } from "./attestation";
import type { JobReport } from "./report";

/** What a job's run came to. */
export type RunStatus = "succeeded" | "failed" | "timedOut" | "exitCode";

/** The exit code by which a job says it delivered part of its results (priced at distribute-75 by default). */
export const PARTIAL_RESULTS_EXIT_CODE = 3;

export type OutcomePolicy = {
  /** Exit code 0: default 10000 (withdraw). */
  succeededBps: number;
  /** Any other exit code: default 0 (refund). */
  failedBps: number;
  /** A run that reached its time limit without exiting 0: default 5000 (distribute 50). */
  timedOutBps: number;
  /** Exit codes priced on their own, before the rules above: default {3: 7500} (distribute 75). */
  exitCodeBps: Record<number, number>;
};

export const DEFAULT_OUTCOME_POLICY: Readonly<OutcomePolicy> = Object.freeze({
  succeededBps: OUTCOMES.withdraw,
  failedBps: OUTCOMES.refund,
  timedOutBps: OUTCOMES.distribute50,
  exitCodeBps: Object.freeze({ [PARTIAL_RESULTS_EXIT_CODE]: OUTCOMES.distribute75 }),
});

const POLICY = "outcome policy";

function bpsOption(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_BPS) {
    throw new AccordValidationError(field, `must be a whole number of basis points, 0..${MAX_BPS}`, {
      subject: POLICY,
    });
  }
  return value;
}

/** The policy with defaults for what is left out, every value checked (AccordValidationError naming it). */
export function resolveOutcomePolicy(options: Partial<OutcomePolicy> = {}): OutcomePolicy {
  const merged = { ...DEFAULT_OUTCOME_POLICY, ...options };
  const exitCodeBps: Record<number, number> = {};
  for (const [code, bps] of Object.entries(merged.exitCodeBps ?? {})) {
    const exit = Number(code);
    if (!Number.isInteger(exit) || exit < 1 || exit > 255) {
      throw new AccordValidationError(`exitCodeBps.${code}`, "must be an exit code 1..255", { subject: POLICY });
    }
    exitCodeBps[exit] = bpsOption(bps, `exitCodeBps.${code}`);
  }
  return {
    succeededBps: bpsOption(merged.succeededBps, "succeededBps"),
    failedBps: bpsOption(merged.failedBps, "failedBps"),
    timedOutBps: bpsOption(merged.timedOutBps, "timedOutBps"),
    exitCodeBps,
  };
}

/** What the chain says of a job, as an oracle needs it (`getJob`, `completionTime`, `isAttestable`). */
export type JobFacts = {
  exists: boolean;
  /** JobStatus name. */
  status: string;
  provider: string;
  timeLimit: bigint;
  acceptedAt: bigint;
  /** When the job completed or completes without a report (the contract's completionTime). */
  completesAt: bigint;
  /** The run time the provider reported on chain (status Completed), else undefined. */
  reportedRunSeconds: bigint | undefined;
  attestable: boolean;
};

/** A report the chain contradicts, or a job that cannot be attested: `field` of the report and the rule. */
export class JobReportRefusedError extends AccordValidationError {
  override name = "JobReportRefusedError";
}

function refuse(field: string, rule: string): never {
  throw new JobReportRefusedError(field, rule, { subject: "job report" });
}

/** Checks a report against the chain; JobReportRefusedError naming the field and the rule it breaks. */
export function checkReportAgainstChain(job: JobFacts, report: JobReport): void {
  if (!job.exists) refuse("jobId", "names no job of this escrow");
  if (!job.attestable)
    refuse("jobId", `is not attestable now (status ${job.status}, or its attestation window is over)`);
  if (report.runSeconds > job.timeLimit)
    refuse("runSeconds", `must be at most the job's time limit, ${job.timeLimit} s`);
  const wallClock = job.completesAt - job.acceptedAt;
  if (report.runSeconds > wallClock) {
    refuse("runSeconds", `must be at most the ${wallClock} s between acceptance and completion on chain`);
  }
  if (job.reportedRunSeconds !== undefined && report.runSeconds !== job.reportedRunSeconds) {
    refuse("runSeconds", `must equal the ${job.reportedRunSeconds} s the provider reported on chain`);
  }
}

/** The run's status under a policy. */
export function runStatusOf(job: Pick<JobFacts, "timeLimit">, report: JobReport, policy: OutcomePolicy): RunStatus {
  if (policy.exitCodeBps[report.exitCode] !== undefined) return "exitCode";
  if (report.exitCode === 0) return "succeeded";
  return report.runSeconds >= job.timeLimit ? "timedOut" : "failed";
}

/** The attestation an honest oracle signs for a report the chain does not contradict. */
export function decideOutcome(
  job: JobFacts,
  report: JobReport,
  policy: OutcomePolicy = DEFAULT_OUTCOME_POLICY,
): { attestation: Attestation; status: RunStatus } {
  checkReportAgainstChain(job, report);
  const status = runStatusOf(job, report, policy);
  const bps =
    status === "exitCode"
      ? policy.exitCodeBps[report.exitCode]
      : status === "succeeded"
        ? policy.succeededBps
        : status === "timedOut"
          ? policy.timedOutBps
          : policy.failedBps;
  return { attestation: { jobId: report.jobId, bps, runSeconds: report.runSeconds }, status };
}
