// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Provider onboarding and attested job escrow (MachineRegistry, JobEscrow, QuorumJobOracle). Enum indices are read
// by the indexer and the TypeScript model (src/onboarding): new members go at the end.

/// @notice Where a machine stands. Active: registered (it takes jobs while `available`). Removed: deleted by its
/// provider; the ID is never registered again (a job opened on it can never be accepted by a new machine of the
/// same ID).
enum MachineStatus {
    None,
    Active,
    Removed
}

/// @notice What a provider declares about a machine: the fields people filter by, and the digest of the full
/// profile (the reference's capability types as JSON, content-addressed).
/// @param profile The sha2-256 digest of the profile's CIDv0 (the 32 bytes after the multihash prefix 0x1220, as the
/// deal market stores CIDs); never zero.
/// @param cpuCores The machine's CPU cores (> 0).
/// @param cpuMhz The machine's CPU clock summed over its cores, in MHz (> 0).
/// @param memoryMb The machine's memory, in MB (> 0).
/// @param diskGb The machine's disk, in GB.
/// @param gpuCount The machine's GPUs; 0 exactly when `maxGpuVramMb` is 0.
/// @param maxGpuVramMb The VRAM of its largest GPU, in MB.
/// @param onboardedCpuMhz The CPU share given to the network, in MHz: 10% to 90% of `cpuMhz`, both inclusive.
/// @param onboardedMemoryMb The memory share given to the network, in MB: 10% to 90% of `memoryMb`, both inclusive.
/// @param pricePerMinute The price of a minute of a job on it, in token wei (0 allowed: a free machine).
/// @param available Whether it takes new jobs.
// Field order is the API's (the packing rule's estimate does not apply to a calldata struct).
// solhint-disable-next-line gas-struct-packing
struct MachineSpec {
    bytes32 profile;
    uint32 cpuCores;
    uint32 cpuMhz;
    uint32 memoryMb;
    uint32 diskGb;
    uint16 gpuCount;
    uint32 maxGpuVramMb;
    uint32 onboardedCpuMhz;
    uint32 onboardedMemoryMb;
    uint128 pricePerMinute;
    bool available;
}

/// @notice A machine's record: its provider, status and last change time, and its spec (4 storage slots).
/// @param provider Who registered it (its ID is keccak256(abi.encode(provider, salt))).
/// @param updatedAt The time of its last change (registration, update, availability, removal).
/// @param status See {MachineStatus}.
/// @param spec See {MachineSpec} (zeroed on removal).
struct Machine {
    address provider;
    uint64 updatedAt;
    MachineStatus status;
    MachineSpec spec;
}

/// @notice Where a job stands. Open: maxPrice locked, waiting for the provider's acceptance until
/// `openedAt + acceptanceTimeout`. Accepted: running; it counts as completed at `acceptedAt + timeLimit` if the
/// provider does not report earlier. Completed: the provider reported; the attestation window runs from
/// `completedAt`. Attested: paid out. Refunded: all of maxPrice back to the requester.
enum JobStatus {
    None,
    Open,
    Accepted,
    Completed,
    Attested,
    Refunded
}

/// @notice Why a job was refunded in full.
enum RefundReason {
    Unaccepted,
    Unattested
}

/// @notice Who attests a job's outcome, agreed by both parties (the requester opens with it, the provider's
/// acceptance agrees to it). Either an m-of-n key set: `signers` strictly increasing, 1..MAX_ORACLES of them,
/// `threshold` 1..n, `oracleContract` zero; or an oracle contract (e.g. QuorumJobOracle): `signers` empty,
/// `threshold` 0, `oracleContract` the only account whose `attestByOracle` counts. Jobs store its hash
/// (`hashOracleSet`); attestations pass the set again.
struct OracleSet {
    address[] signers;
    uint8 threshold;
    address oracleContract;
}

/// @notice An oracle's verdict on a job (the EIP-712 struct `Attestation(bytes32 jobId,uint16 bps,uint64
/// runSeconds)`, under the JobEscrow's domain).
/// @param jobId The job.
/// @param bps The share of the time-priced cost paid to the provider, in basis points, 0..10000 (the reference's
/// outcomes: 10000 withdraw, 0 refund, 5000 and 7500 the splits).
/// @param runSeconds The run time the oracles saw (at most the job's time limit): what prices the job.
struct Attestation {
    bytes32 jobId;
    uint16 bps;
    uint64 runSeconds;
}

/// @notice One oracle's signature on an attestation.
/// @param index The signer's index in the set's `signers` (strictly increasing over an attestation's signatures,
/// so no signer counts twice).
/// @param signature An ECDSA signature (65 bytes or EIP-2098's 64) of the attestation's digest, or for a contract
/// signer whatever its ERC-1271 `isValidSignature` accepts.
struct OracleSignature {
    uint8 index;
    bytes signature;
}

/// @notice A job's record (6 storage slots).
/// @param requester Who opened it and locked `maxPrice` (its ID is keccak256(abi.encode(requester, salt))).
/// @param openedAt When it was opened.
/// @param status See {JobStatus}.
/// @param provider The machine's provider at opening: the only one who may accept and report.
/// @param timeLimit The longest it may run, in seconds.
/// @param acceptedAt When the provider accepted (0 before).
/// @param machineId The machine it runs on.
/// @param oracleHash `hashOracleSet` of its oracle set.
/// @param maxPrice The tokens locked: the most the provider can be paid.
/// @param pricePerMinute The machine's price per minute at opening (a later change never touches the job).
/// @param completedAt When it completed: the provider's report, else (once known) `acceptedAt + timeLimit`;
/// 0 while unknown.
/// @param reportedRunSeconds The run time the provider reported (0 if none).
/// @param bps The attested outcome (0 until attested).
/// @param runSeconds The attested run time (0 until attested).
struct Job {
    address requester;
    uint64 openedAt;
    JobStatus status;
    address provider;
    uint32 timeLimit;
    uint64 acceptedAt;
    bytes32 machineId;
    bytes32 oracleHash;
    uint128 maxPrice;
    uint128 pricePerMinute;
    uint64 completedAt;
    uint64 reportedRunSeconds;
    uint16 bps;
    uint64 runSeconds;
}
