// The operator quorum as a job's oracle (QuorumJobOracle): its task's payload and response, as the contract encodes
// and decodes them. The payload is abi.encode(jobId, machineId, requester, provider, reportedRunSeconds); the
// response abi.encode(uint16 bps, uint64 runSeconds).

import { AbiCoder } from "ethers";
import { uintInput } from "../pools/inputs";
import type { Attestation } from "./attestation";

const coder = AbiCoder.defaultAbiCoder();
const PAYLOAD = ["bytes32", "bytes32", "address", "address", "uint64"];

export type JobAttestationPayload = {
  jobId: string;
  machineId: string;
  requester: string;
  provider: string;
  reportedRunSeconds: bigint;
};

export function encodeJobAttestationPayload(payload: JobAttestationPayload): string {
  return coder.encode(PAYLOAD, [
    payload.jobId,
    payload.machineId,
    payload.requester,
    payload.provider,
    payload.reportedRunSeconds,
  ]);
}

/** Decodes a job-attestation task's payload (ethers' error for bytes that are not one). */
export function decodeJobAttestationPayload(payload: string): JobAttestationPayload {
  const [jobId, machineId, requester, provider, reportedRunSeconds] = coder.decode(PAYLOAD, payload) as unknown as [
    string,
    string,
    string,
    string,
    bigint,
  ];
  return { jobId, machineId, requester, provider, reportedRunSeconds };
}

/** The task's response for an outcome; AccordValidationError naming bps or runSeconds when it does not fit. */
export function encodeJobAttestationResponse(outcome: Pick<Attestation, "bps" | "runSeconds">): string {
  const bps = uintInput(outcome.bps, "bps", 16, "attestation", "basis points");
  const runSeconds = uintInput(outcome.runSeconds, "runSeconds", 64, "attestation", "seconds");
  return coder.encode(["uint16", "uint64"], [bps, runSeconds]);
}
