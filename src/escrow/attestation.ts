// Attestations: the outcome of a job, EIP-712 `Attestation(bytes32 jobId,uint16 bps,uint64 runSeconds)` in JobEscrow's
// domain, signed by the keys of the job's oracle set. The escrow takes at least `threshold` signatures, each with
// its signer's index in the set, indices strictly increasing; `orderSignatures` builds that list from signatures
// gathered in any order, refusing a stranger's, a repeated signer's or too few.

import { TypedDataEncoder, verifyTypedData, type Signer, type TypedDataDomain, type TypedDataField } from "ethers";
import { sameAddress } from "../model/address";
import { AccordValidationError } from "../model/errors";
import { bytes32Input, uintInput } from "../pools/inputs";
import { JOB_ESCROW_EIP712_NAME, JOB_ESCROW_EIP712_VERSION, MAX_BPS } from "./constants";
import type { OracleSet } from "./oracle-set";

/** The `Attestation` type, field for field as contracts/libraries/EscrowHashing.sol hashes it. */
export const ATTESTATION_TYPES: Record<string, TypedDataField[]> = {
  Attestation: [
    { name: "jobId", type: "bytes32" },
    { name: "bps", type: "uint16" },
    { name: "runSeconds", type: "uint64" },
  ],
};

/** A job's outcome: `bps` of the cost of `runSeconds` to the provider. */
export type Attestation = { jobId: string; bps: number; runSeconds: bigint };

/** `OracleSignature` as the contract takes it: the signer's index in the set's signers and its signature. */
export type OracleSignature = { index: number; signature: string };

const SUBJECT = "attestation";

/** JobEscrow's EIP-712 domain on a chain. */
export function jobEscrowDomain(chainId: bigint | number, escrow: string): TypedDataDomain {
  return { name: JOB_ESCROW_EIP712_NAME, version: JOB_ESCROW_EIP712_VERSION, chainId, verifyingContract: escrow };
}

/** Checks an attestation's shape (bps 0..MAX_BPS, runSeconds a uint64), naming the field. */
export function parseAttestation(input: {
  jobId: string;
  bps: number | bigint | string;
  runSeconds: number | bigint | string;
}): Attestation {
  if (input === null || typeof input !== "object") {
    throw new AccordValidationError("", "must be {jobId, bps, runSeconds}", { subject: SUBJECT });
  }
  const bps = uintInput(input.bps, "bps", 16, SUBJECT, "basis points");
  if (bps > BigInt(MAX_BPS)) {
    throw new AccordValidationError("bps", `must be at most ${MAX_BPS}`, { subject: SUBJECT });
  }
  return {
    jobId: bytes32Input(input.jobId, "jobId", SUBJECT),
    bps: Number(bps),
    runSeconds: uintInput(input.runSeconds, "runSeconds", 64, SUBJECT, "seconds"),
  };
}

/** The digest oracles sign (the contract's `attestationDigest`). */
export function attestationDigest(attestation: Attestation, domain: TypedDataDomain): string {
  return TypedDataEncoder.hash(domain, ATTESTATION_TYPES, attestation);
}

/** Signs an attestation with one oracle key. */
export function signAttestation(signer: Signer, attestation: Attestation, domain: TypedDataDomain): Promise<string> {
  return signer.signTypedData(domain, ATTESTATION_TYPES, attestation);
}

/** The address that signed an attestation. */
export function recoverAttestationSigner(attestation: Attestation, domain: TypedDataDomain, signature: string): string {
  return verifyTypedData(domain, ATTESTATION_TYPES, attestation, signature);
}

/**
 * The signatures `attest` takes for `set`: each recovered, placed at its signer's index, sorted by index. Throws
 * AccordValidationError naming `signatures[i]` for one not by a key of the set or by a signer already counted, and
 * `signatures` when fewer than the threshold remain.
 */
export function orderSignatures(
  attestation: Attestation,
  set: OracleSet,
  domain: TypedDataDomain,
  signatures: readonly string[],
): OracleSignature[] {
  const ordered: OracleSignature[] = [];
  const seen = new Set<number>();
  signatures.forEach((signature, i) => {
    let signer: string;
    try {
      signer = recoverAttestationSigner(attestation, domain, signature);
    } catch (cause) {
      throw new AccordValidationError(`signatures[${i}]`, "must be a 65-byte ECDSA signature", {
        subject: SUBJECT,
        cause,
      });
    }
    const index = set.signers.findIndex((key) => sameAddress(key, signer));
    if (index < 0) {
      throw new AccordValidationError(`signatures[${i}]`, `is by ${signer}, not a key of the job's oracle set`, {
        subject: SUBJECT,
      });
    }
    if (seen.has(index)) {
      throw new AccordValidationError(`signatures[${i}]`, `repeats the signature of ${signer}`, { subject: SUBJECT });
    }
    seen.add(index);
    ordered.push({ index, signature });
  });
  if (ordered.length < set.threshold) {
    throw new AccordValidationError("signatures", `needs ${set.threshold} of the set's keys, got ${ordered.length}`, {
      subject: SUBJECT,
    });
  }
  return ordered.sort((a, b) => a.index - b.index);
}
