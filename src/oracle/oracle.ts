// The oracle signer behind `accord oracle`: one key of jobs' m-of-n oracle sets. It takes a provider's signed report
// of a run (src/escrow/report.ts), checks it with the chain (the job exists and is attestable now, the report is
// signed by the job's provider, this key is in the job's oracle set, the run time agrees with the chain: policy.ts's
// checkReportAgainstChain), decides the outcome by its policy and signs the attestation.
//
// A report for a job whose oracle is a contract (the operator quorum's QuorumJobOracle) is checked the same way and
// kept, not signed: the quorum's operators read it from GET /oracle/reports/:jobId and decide by the same policy.
//
// It never signs two outcomes for one job: every signature is written to the journal (fsync'd, atomic) before it is
// served, reports are handled one at a time, and a job it has signed for gets the same attestation back whatever is
// reported later. An oracle killed with kill -9 and restarted serves exactly what it signed before.

import path from "node:path";
import type { Signer } from "ethers";
import { Journal } from "../agents/journal";
import type { JobEscrowClient } from "../clients/escrow";
import {
  decideOutcome,
  parseSignedJobReport,
  reportSigner,
  resolveOutcomePolicy,
  signAttestation,
  type Attestation,
  type OutcomePolicy,
  type RunStatus,
  isContractOracleSet,
  signedJobReportToJson,
  type SignedJobReport,
  type SignedJobReportJson,
} from "../escrow";
import { sameAddress } from "../model/address";
import { AccordValidationError } from "../model/errors";

/** What the oracle signed for a job, as journaled and served (runSeconds as a decimal string). */
export type OracleAttestationRecord = {
  jobId: string;
  attestation: { jobId: string; bps: number; runSeconds: string };
  signature: string;
  /** The oracle key that signed. */
  signer: string;
  status: RunStatus;
  /** The report it decided by and its signature. */
  report: { exitCode: number; runSeconds: string; results: string; signature: string };
  signedAt: number;
};

/** A provider's report the oracle checked and kept (served at GET /oracle/reports/:jobId). */
export type StoredJobReport = SignedJobReportJson & { receivedAt: number };

/** What a report got: the oracle's attestation, or (a contract oracle set) the report kept for the quorum. */
export type ReportOutcome =
  { kind: "signed"; record: OracleAttestationRecord } | { kind: "relayed"; jobId: string; report: StoredJobReport };

/** A report refused: `status` is the HTTP status an API answers with, `field` what in the report is wrong. */
export class OracleRefusedError extends AccordValidationError {
  override name = "OracleRefusedError";
  readonly status: number;

  constructor(field: string, rule: string, status: number, cause?: unknown) {
    super(field, rule, { subject: "job report", cause });
    this.status = status;
  }
}

export type JobOracleOptions = {
  /** Reads the escrow (any signer: the oracle sends no transactions). */
  escrow: JobEscrowClient;
  /** The oracle's key. */
  key: Signer;
  /** The journal's directory. */
  dataDir: string;
  policy?: Partial<OutcomePolicy>;
  now?: () => number;
};

export class JobOracle {
  readonly policy: OutcomePolicy;
  readonly #escrow: JobEscrowClient;
  readonly #key: Signer;
  readonly #journal: Journal<OracleAttestationRecord>;
  readonly #reports: Journal<StoredJobReport>;
  readonly #now: () => number;
  #address: string | undefined;
  /** Reports are decided one at a time, so two for one job cannot both be signed. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: JobOracleOptions) {
    this.policy = resolveOutcomePolicy(options.policy);
    this.#escrow = options.escrow;
    this.#key = options.key;
    this.#journal = Journal.open<OracleAttestationRecord>(path.join(options.dataDir, "attestations"));
    this.#reports = Journal.open<StoredJobReport>(path.join(options.dataDir, "reports"));
    this.#now = options.now ?? Date.now;
  }

  async address(): Promise<string> {
    this.#address ??= await this.#key.getAddress();
    return this.#address;
  }

  /** What it signed for a job, if anything. */
  attestationFor(jobId: string): OracleAttestationRecord | undefined {
    return this.#journal.get(jobId.toLowerCase());
  }

  /** The provider's report it kept for a job, if any. */
  reportFor(jobId: string): StoredJobReport | undefined {
    return this.#reports.get(jobId.toLowerCase());
  }

  /** How many jobs it has signed for. */
  get signedCount(): number {
    return this.#journal.values().length;
  }

  /** Decides a signed report (the wire form: parsed here, errors naming the field) and signs its outcome. */
  submitReport(input: unknown): Promise<ReportOutcome> {
    const next = this.#queue.then(() => this.#decide(input));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #decide(input: unknown): Promise<ReportOutcome> {
    let signed: SignedJobReport;
    try {
      signed = parseSignedJobReport(input);
    } catch (error) {
      if (error instanceof AccordValidationError) throw new OracleRefusedError(error.field, error.rule, 400, error);
      throw error;
    }
    const jobId = signed.report.jobId;
    const existing = this.#journal.get(jobId);
    if (existing) return { kind: "signed", record: existing };

    const domain = await this.#escrow.domain();
    const facts = await this.#escrow.jobFacts(jobId);
    if (!facts.exists) throw new OracleRefusedError("jobId", "names no job of this escrow", 404);
    const signer = reportSigner(signed, domain);
    if (!sameAddress(signer, facts.provider)) {
      throw new OracleRefusedError("signature", `is by ${signer}, not the job's provider ${facts.provider}`, 403);
    }
    const set = await this.#escrow.getOracleSet(jobId);
    if (isContractOracleSet(set)) {
      try {
        // The same checks an operator makes: a report the chain contradicts is not kept.
        decideOutcome(facts, signed.report, this.policy);
      } catch (error) {
        if (error instanceof AccordValidationError) throw new OracleRefusedError(error.field, error.rule, 409, error);
        throw error;
      }
      const kept = this.#reports.get(jobId);
      if (kept) return { kind: "relayed", jobId, report: kept };
      const report = { ...signedJobReportToJson(signed), receivedAt: this.#now() };
      this.#reports.put(jobId, report);
      return { kind: "relayed", jobId, report };
    }
    const me = await this.address();
    if (!set.signers.some((key) => sameAddress(key, me))) {
      throw new OracleRefusedError("jobId", `does not name this oracle (${me}) in its oracle set`, 403);
    }
    let decided: { attestation: Attestation; status: RunStatus };
    try {
      decided = decideOutcome(facts, signed.report, this.policy);
    } catch (error) {
      if (error instanceof AccordValidationError) throw new OracleRefusedError(error.field, error.rule, 409, error);
      throw error;
    }
    const signature = await signAttestation(this.#key, decided.attestation, domain);
    const record: OracleAttestationRecord = {
      jobId,
      attestation: { ...decided.attestation, runSeconds: decided.attestation.runSeconds.toString() },
      signature,
      signer: me,
      status: decided.status,
      report: {
        exitCode: signed.report.exitCode,
        runSeconds: signed.report.runSeconds.toString(),
        results: signed.report.results,
        signature: signed.signature,
      },
      signedAt: this.#now(),
    };
    // Journaled before anyone sees it: a restarted oracle serves this and never signs another outcome.
    this.#journal.put(jobId, record);
    this.#reports.put(jobId, { ...signedJobReportToJson(signed), receivedAt: record.signedAt });
    return { kind: "signed", record };
  }

  close(): void {
    this.#journal.close();
    this.#reports.close();
  }
}
