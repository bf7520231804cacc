// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Enum indices are the data model's (shared/spec/data-model.md): off-chain code, the indexer and the
// Go reference all read these numbers, so nothing may be reordered; new members go at the end.

/// @notice The roles an account can offer in the market.
enum ServiceType {
    Solver,
    Mediator,
    Directory,
    ResourceProvider,
    JobCreator
}

/// @notice The agreement state machine. `TimeoutAgree` (10) is Accord's addition to the reference.
enum AgreementState {
    DealNegotiating,
    DealAgreed,
    ResultsSubmitted,
    ResultsAccepted,
    ResultsChecked,
    MediationAccepted,
    MediationRejected,
    TimeoutSubmitResults,
    TimeoutJudgeResults,
    TimeoutMediateResults,
    TimeoutAgree
}

/// @notice Why funds moved.
enum PaymentReason {
    PaymentCollateral,
    ResultsCollateral,
    TimeoutCollateral,
    JobPayment,
    MediationFee
}

/// @notice Which way funds moved, seen from the market's escrow.
enum PaymentDirection {
    PaidIn,
    PaidOut,
    Refunded,
    Slashed
}

/// @notice The parties of a deal. `mediators` is the mutual trusted set the mediator is drawn from.
struct DealMembers {
    address jobCreator;
    address resourceProvider;
    address solver;
    address[] mediators;
}

/// @notice Prices and collateral sizes, in the payment token's smallest unit.
/// @dev job cost = instructionPrice × instructionCount; results collateral = resultsCollateralMultiple × job cost.
struct DealPricing {
    uint256 instructionPrice;
    uint256 paymentCollateral;
    uint256 resultsCollateralMultiple;
    uint256 mediationFee;
}

/// @notice Deadlines (seconds from the state's start) and the timeout collateral of each step.
/// @dev `agreeCollateral` and `mediateResultsCollateral` are carried for parity with the reference but never
/// escrowed: an agree timeout refunds whoever escrowed, a mediation timeout refunds everyone.
struct DealTimeouts {
    uint64 agree;
    uint64 submitResults;
    uint64 judgeResults;
    uint64 mediateResults;
    uint256 agreeCollateral;
    uint256 submitResultsCollateral;
    uint256 judgeResultsCollateral;
    uint256 mediateResultsCollateral;
}

/// @notice Everything both parties agree to. Kept in calldata and events; the market stores a commitment.
struct DealTerms {
    DealMembers members;
    DealPricing pricing;
    DealTimeouts timeouts;
}

/// @notice The one storage slot a deal occupies.
/// @param state The current AgreementState.
/// @param agreedBy Bit 0: the job creator has agreed (and escrowed); bit 1: the resource provider has.
/// @param updatedAt When the current state began; every deadline counts from it.
/// @param commitment The high 200 bits of keccak256(termsHash, instructionCount).
struct DealRecord {
    AgreementState state;
    uint8 agreedBy;
    uint40 updatedAt;
    bytes25 commitment;
}

/// @notice What a service registry entry holds.
/// @param roles Bit i set = the account offers ServiceType(i).
/// @param metadata The CID digest (bytes32) of the service's metadata document.
/// @param url Where the service answers.
struct Service {
    uint8 roles;
    bytes32 metadata;
    string url;
}

/// @notice The mediator draw of a deal under mediation (`ResultsChecked`).
/// @param drawBlock The block whose hash draws the mediator: the block of the `checkResult` (or of the last
/// re-draw). Its hash is unknown to every transaction inside it, so neither party can see the draw when it acts.
/// @param drawn Whether the draw was fixed by `drawMediator` (needed only beyond the 256 blocks whose hashes the
/// EVM keeps).
/// @param mediatorIndex The fixed draw, an index into the deal's mediators (valid when `drawn`).
struct MediationDraw {
    uint64 drawBlock;
    bool drawn;
    uint8 mediatorIndex;
}
