// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { EIP712 } from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import { ECDSA } from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import { SignatureChecker } from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import { DealStore } from "./abstracts/DealStore.sol";
import { Escrow } from "./abstracts/Escrow.sol";
import { IDealMarket } from "./interfaces/IDealMarket.sol";
import { DealHashing } from "./libraries/DealHashing.sol";
import { Errors } from "./libraries/Errors.sol";
import {
    AgreementState,
    DealMembers,
    DealPricing,
    DealRecord,
    DealTerms,
    MediationDraw,
    PaymentDirection,
    PaymentReason
} from "./types/DataTypes.sol";

/// @title DealMarket
/// @notice See {IDealMarket}. Every action checks, then writes the deal's slot and logs, then moves tokens.
contract DealMarket is IDealMarket, DealStore, Escrow, EIP712 {
    /// @notice Deploys a market for one token.
    /// @param token_ The ERC20 of this market. Fee-on-transfer and rebasing tokens are not supported.
    constructor(IERC20 token_) Escrow(token_) EIP712("Accord DealMarket", "1") {}

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IDealMarket
    function agreementDigest(
        bytes32 dealId,
        DealTerms calldata terms,
        uint256 deadline
    ) external view override returns (bytes32) {
        return _hashTypedDataV4(DealHashing.hashAgreement(dealId, DealHashing.hashTerms(terms), deadline));
    }

    /// @inheritdoc IDealMarket
    function drawnMediator(
        bytes32 dealId,
        DealTerms calldata terms,
        uint64 instructionCount
    ) external view override returns (address mediator, uint8 mediatorIndex) {
        (bytes32 key, , ) = _load(dealId, terms, instructionCount, AgreementState.ResultsChecked);
        mediatorIndex = _drawnIndex(key, terms.members.mediators.length);
        mediator = terms.members.mediators[mediatorIndex];
    }

    /*//////////////////////////////////////////////////////////////
                                AGREEMENT
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IDealMarket
    function agree(bytes32 dealId, DealTerms calldata terms) external override nonReentrant {
        DealMembers calldata members = terms.members;
        bytes32 key = _keyOf(dealId, terms);
        uint8 party =
            msg.sender == members.jobCreator
                ? JOB_CREATOR
                : (msg.sender == members.resourceProvider ? RESOURCE_PROVIDER : 0);
        if (party == 0) revert Errors.DealMarket_Unauthorized(key, msg.sender);

        DealRecord memory record = _deals[key];
        bytes25 commitment = DealHashing.commitment(DealHashing.hashTerms(terms), 0);
        if (record.updatedAt == 0) {
            _validateNewDeal(dealId, key, terms);
            _logDealCreated(key, dealId, terms);
            _store(key, AgreementState.DealNegotiating, party, commitment);
        } else {
            if (record.state != AgreementState.DealNegotiating) {
                revert Errors.DealMarket_InvalidState(key, record.state, AgreementState.DealNegotiating);
            }
            if (record.commitment != commitment) revert Errors.DealMarket_TermsMismatch(key);
            if (record.agreedBy & party != 0) revert Errors.DealMarket_AlreadyAgreed(key, msg.sender);
            _requireBeforeDeadline(key, record.updatedAt, terms.timeouts.agree);
            _store(key, AgreementState.DealAgreed, BOTH_PARTIES, commitment);
        }
        emit PartyAgreed(key, msg.sender);
        _escrowAgreement(key, terms, party);
    }

    /// @inheritdoc IDealMarket
    function agreeWithSignatures(
        bytes32 dealId,
        DealTerms calldata terms,
        uint256 deadline,
        bytes calldata jobCreatorSignature,
        bytes calldata resourceProviderSignature
    ) external override nonReentrant {
        if (block.timestamp > deadline) revert Errors.DealMarket_SignatureExpired(deadline);
        bytes32 key = _keyOf(dealId, terms);
        _validateNewDeal(dealId, key, terms);

        bytes32 termsHash = DealHashing.hashTerms(terms);
        bytes32 digest = _hashTypedDataV4(DealHashing.hashAgreement(dealId, termsHash, deadline));
        DealMembers calldata members = terms.members;
        _requireSignature(members.jobCreator, digest, jobCreatorSignature);
        _requireSignature(members.resourceProvider, digest, resourceProviderSignature);

        _logDealCreated(key, dealId, terms);
        _store(key, AgreementState.DealAgreed, BOTH_PARTIES, DealHashing.commitment(termsHash, 0));
        _escrowAgreement(key, terms, BOTH_PARTIES);
    }

    /*//////////////////////////////////////////////////////////////
                                 RESULTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IDealMarket
    function addResult(
        bytes32 dealId,
        DealTerms calldata terms,
        bytes32 resultsId,
        uint64 instructionCount
    ) external override nonReentrant {
        (bytes32 key, DealRecord memory record, bytes32 termsHash) = _load(dealId, terms, 0, AgreementState.DealAgreed);
        address provider = terms.members.resourceProvider;
        _requireCaller(key, provider);
        _requireBeforeDeadline(key, record.updatedAt, terms.timeouts.submitResults);

        uint256 resultsCollateral = _resultsCollateral(terms.pricing, instructionCount);
        uint256 submitCollateral = terms.timeouts.submitResultsCollateral;
        emit ResultAdded(key, resultsId, instructionCount);
        _store(
            key,
            AgreementState.ResultsSubmitted,
            record.agreedBy,
            DealHashing.commitment(termsHash, instructionCount)
        );
        _logPayment(key, provider, resultsCollateral, PaymentReason.ResultsCollateral, PaymentDirection.PaidIn);
        _logPayment(key, provider, submitCollateral, PaymentReason.TimeoutCollateral, PaymentDirection.Refunded);
        _settle(provider, resultsCollateral, submitCollateral);
    }

    /// @inheritdoc IDealMarket
    function acceptResult(
        bytes32 dealId,
        DealTerms calldata terms,
        uint64 instructionCount
    ) external override nonReentrant {
        (bytes32 key, DealRecord memory record, ) = _load(
            dealId,
            terms,
            instructionCount,
            AgreementState.ResultsSubmitted
        );
        _requireCaller(key, terms.members.jobCreator);
        _requireBeforeDeadline(key, record.updatedAt, terms.timeouts.judgeResults);

        _transition(key, record, AgreementState.ResultsAccepted);
        _payForResults(key, terms, instructionCount, JudgeCollateral.ReturnToJobCreator);
    }

    /// @inheritdoc IDealMarket
    function checkResult(
        bytes32 dealId,
        DealTerms calldata terms,
        uint64 instructionCount
    ) external override nonReentrant {
        (bytes32 key, DealRecord memory record, ) = _load(
            dealId,
            terms,
            instructionCount,
            AgreementState.ResultsSubmitted
        );
        address jobCreator = terms.members.jobCreator;
        _requireCaller(key, jobCreator);
        _requireBeforeDeadline(key, record.updatedAt, terms.timeouts.judgeResults);

        uint256 fee = terms.pricing.mediationFee;
        uint256 judgeCollateral = terms.timeouts.judgeResultsCollateral;
        // The mediator is drawn from this block's hash, which no transaction in this block can read.
        _requestDraw(key);
        _transition(key, record, AgreementState.ResultsChecked);
        _logPayment(key, jobCreator, fee, PaymentReason.MediationFee, PaymentDirection.PaidIn);
        _logPayment(key, jobCreator, judgeCollateral, PaymentReason.TimeoutCollateral, PaymentDirection.Refunded);
        _settle(jobCreator, fee, judgeCollateral);
    }

    /*//////////////////////////////////////////////////////////////
                                MEDIATION
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IDealMarket
    function drawMediator(bytes32 dealId, DealTerms calldata terms, uint64 instructionCount) external override {
        (bytes32 key, DealRecord memory record, ) = _load(
            dealId,
            terms,
            instructionCount,
            AgreementState.ResultsChecked
        );
        // Past the mediate deadline only the timeout remains: a draw would name a mediator who can no longer act.
        _requireBeforeDeadline(key, record.updatedAt, terms.timeouts.mediateResults);
        MediationDraw storage draw = _draws[key];
        address[] calldata mediators = terms.members.mediators;
        if (draw.drawn) revert Errors.DealMarket_MediatorAlreadyDrawn(key, mediators[draw.mediatorIndex]);
        uint256 drawBlock = draw.drawBlock;
        if (drawBlock == block.number) revert Errors.DealMarket_DrawPending(key, drawBlock);
        if (block.number - drawBlock > BLOCKHASH_WINDOW) {
            // Nobody fixed the draw while its hash was known: draw again, from a block nobody can know yet.
            _requestDraw(key);
            return;
        }
        uint8 mediatorIndex = DealHashing.drawIndex(blockhash(drawBlock), key, mediators.length);
        draw.drawn = true;
        draw.mediatorIndex = mediatorIndex;
        emit MediatorDrawn(key, mediators[mediatorIndex], mediatorIndex);
    }

    /// @inheritdoc IDealMarket
    function mediationAcceptResult(
        bytes32 dealId,
        DealTerms calldata terms,
        uint64 instructionCount
    ) external override nonReentrant {
        (bytes32 key, address mediator) = _loadForMediator(
            dealId,
            terms,
            instructionCount,
            AgreementState.MediationAccepted
        );
        _payForResults(key, terms, instructionCount, JudgeCollateral.AlreadyReturned);
        _payMediator(key, mediator, terms.pricing.mediationFee);
    }

    /// @inheritdoc IDealMarket
    function mediationRejectResult(
        bytes32 dealId,
        DealTerms calldata terms,
        uint64 instructionCount
    ) external override nonReentrant {
        (bytes32 key, address mediator) = _loadForMediator(
            dealId,
            terms,
            instructionCount,
            AgreementState.MediationRejected
        );
        address jobCreator = terms.members.jobCreator;
        uint256 paymentCollateral = terms.pricing.paymentCollateral;
        uint256 resultsCollateral = _resultsCollateral(terms.pricing, instructionCount);
        _logPayment(key, jobCreator, paymentCollateral, PaymentReason.PaymentCollateral, PaymentDirection.Refunded);
        _logPayment(key, jobCreator, resultsCollateral, PaymentReason.ResultsCollateral, PaymentDirection.Slashed);
        _push(jobCreator, paymentCollateral + resultsCollateral);
        _payMediator(key, mediator, terms.pricing.mediationFee);
    }

    /*//////////////////////////////////////////////////////////////
                                 TIMEOUTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IDealMarket
    function timeoutAgree(bytes32 dealId, DealTerms calldata terms) external override nonReentrant {
        (bytes32 key, DealRecord memory record, ) = _load(dealId, terms, 0, AgreementState.DealNegotiating);
        // Only the party that agreed (and escrowed) is owed anything; the other has nothing to claim.
        uint8 party =
            msg.sender == terms.members.jobCreator
                ? JOB_CREATOR
                : (msg.sender == terms.members.resourceProvider ? RESOURCE_PROVIDER : 0);
        if (party == 0 || record.agreedBy & party == 0) revert Errors.DealMarket_Unauthorized(key, msg.sender);
        _requireAfterDeadline(key, record.updatedAt, terms.timeouts.agree);

        _transition(key, record, AgreementState.TimeoutAgree);
        if (party == JOB_CREATOR) {
            uint256 paymentCollateral = terms.pricing.paymentCollateral;
            uint256 judgeCollateral = terms.timeouts.judgeResultsCollateral;
            _logPayment(key, msg.sender, paymentCollateral, PaymentReason.PaymentCollateral, PaymentDirection.Refunded);
            _logPayment(key, msg.sender, judgeCollateral, PaymentReason.TimeoutCollateral, PaymentDirection.Refunded);
            _push(msg.sender, paymentCollateral + judgeCollateral);
        } else {
            uint256 submitCollateral = terms.timeouts.submitResultsCollateral;
            _logPayment(key, msg.sender, submitCollateral, PaymentReason.TimeoutCollateral, PaymentDirection.Refunded);
            _push(msg.sender, submitCollateral);
        }
    }

    /// @inheritdoc IDealMarket
    function timeoutSubmitResults(bytes32 dealId, DealTerms calldata terms) external override nonReentrant {
        (bytes32 key, DealRecord memory record, ) = _load(dealId, terms, 0, AgreementState.DealAgreed);
        address jobCreator = terms.members.jobCreator;
        _requireCaller(key, jobCreator);
        _requireAfterDeadline(key, record.updatedAt, terms.timeouts.submitResults);

        _transition(key, record, AgreementState.TimeoutSubmitResults);
        uint256 paymentCollateral = terms.pricing.paymentCollateral;
        uint256 judgeCollateral = terms.timeouts.judgeResultsCollateral;
        uint256 submitCollateral = terms.timeouts.submitResultsCollateral;
        _logPayment(key, jobCreator, paymentCollateral, PaymentReason.PaymentCollateral, PaymentDirection.Refunded);
        _logPayment(key, jobCreator, judgeCollateral, PaymentReason.TimeoutCollateral, PaymentDirection.Refunded);
        _logPayment(key, jobCreator, submitCollateral, PaymentReason.TimeoutCollateral, PaymentDirection.Slashed);
        _push(jobCreator, paymentCollateral + judgeCollateral + submitCollateral);
    }

    /// @inheritdoc IDealMarket
    function timeoutJudgeResults(
        bytes32 dealId,
        DealTerms calldata terms,
        uint64 instructionCount
    ) external override nonReentrant {
        (bytes32 key, DealRecord memory record, ) = _load(
            dealId,
            terms,
            instructionCount,
            AgreementState.ResultsSubmitted
        );
        _requireCaller(key, terms.members.resourceProvider);
        _requireAfterDeadline(key, record.updatedAt, terms.timeouts.judgeResults);

        _transition(key, record, AgreementState.TimeoutJudgeResults);
        // Silence is acceptance; the judge collateral goes to the provider it kept waiting.
        _payForResults(key, terms, instructionCount, JudgeCollateral.SlashToProvider);
    }

    /// @inheritdoc IDealMarket
    function timeoutMediateResults(
        bytes32 dealId,
        DealTerms calldata terms,
        uint64 instructionCount
    ) external override nonReentrant {
        (bytes32 key, DealRecord memory record, ) = _load(
            dealId,
            terms,
            instructionCount,
            AgreementState.ResultsChecked
        );
        address jobCreator = terms.members.jobCreator;
        address provider = terms.members.resourceProvider;
        if (msg.sender != jobCreator && msg.sender != provider) {
            revert Errors.DealMarket_Unauthorized(key, msg.sender);
        }
        _requireAfterDeadline(key, record.updatedAt, terms.timeouts.mediateResults);

        delete _draws[key];
        _transition(key, record, AgreementState.TimeoutMediateResults);
        uint256 paymentCollateral = terms.pricing.paymentCollateral;
        uint256 fee = terms.pricing.mediationFee;
        uint256 resultsCollateral = _resultsCollateral(terms.pricing, instructionCount);
        _logPayment(key, jobCreator, paymentCollateral, PaymentReason.PaymentCollateral, PaymentDirection.Refunded);
        _logPayment(key, jobCreator, fee, PaymentReason.MediationFee, PaymentDirection.Refunded);
        _logPayment(key, provider, resultsCollateral, PaymentReason.ResultsCollateral, PaymentDirection.Refunded);
        _push(jobCreator, paymentCollateral + fee);
        _push(provider, resultsCollateral);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNALS
    //////////////////////////////////////////////////////////////*/

    function _logDealCreated(bytes32 key, bytes32 dealId, DealTerms calldata terms) private {
        DealMembers calldata members = terms.members;
        emit DealCreated(
            key,
            members.jobCreator,
            members.resourceProvider,
            dealId,
            members.solver,
            members.mediators,
            terms.pricing,
            terms.timeouts
        );
    }

    /// @dev Pulls what `parties` escrow on agreement.
    function _escrowAgreement(bytes32 key, DealTerms calldata terms, uint8 parties) private {
        if (parties & JOB_CREATOR != 0) {
            address jobCreator = terms.members.jobCreator;
            uint256 paymentCollateral = terms.pricing.paymentCollateral;
            uint256 judgeCollateral = terms.timeouts.judgeResultsCollateral;
            _logPayment(key, jobCreator, paymentCollateral, PaymentReason.PaymentCollateral, PaymentDirection.PaidIn);
            _logPayment(key, jobCreator, judgeCollateral, PaymentReason.TimeoutCollateral, PaymentDirection.PaidIn);
            _pull(jobCreator, paymentCollateral + judgeCollateral);
        }
        if (parties & RESOURCE_PROVIDER != 0) {
            address provider = terms.members.resourceProvider;
            uint256 submitCollateral = terms.timeouts.submitResultsCollateral;
            _logPayment(key, provider, submitCollateral, PaymentReason.TimeoutCollateral, PaymentDirection.PaidIn);
            _pull(provider, submitCollateral);
        }
    }

    /// @dev Where the job creator's judge-results timeout collateral goes when results are paid for.
    enum JudgeCollateral {
        ReturnToJobCreator, // accepted in time
        SlashToProvider, // the job creator stayed silent
        AlreadyReturned // refunded at checkResult, before mediation
    }

    /// @dev Settles accepted results (by the job creator, a mediator or the judge timeout): the provider gets
    /// min(job cost, payment collateral) and its results collateral back, the job creator the rest of its
    /// payment collateral; the judge collateral goes where `judge` says.
    function _payForResults(
        bytes32 key,
        DealTerms calldata terms,
        uint64 instructionCount,
        JudgeCollateral judge
    ) private {
        DealMembers calldata members = terms.members;
        address jobCreator = members.jobCreator;
        address provider = members.resourceProvider;
        DealPricing calldata pricing = terms.pricing;
        uint256 jobCost = pricing.instructionPrice * instructionCount;
        uint256 payment = jobCost < pricing.paymentCollateral ? jobCost : pricing.paymentCollateral;
        uint256 resultsCollateral = pricing.resultsCollateralMultiple * jobCost;
        uint256 toProvider = payment + resultsCollateral;
        uint256 toJobCreator = pricing.paymentCollateral - payment;

        _logPayment(key, provider, payment, PaymentReason.JobPayment, PaymentDirection.PaidOut);
        _logPayment(key, provider, resultsCollateral, PaymentReason.ResultsCollateral, PaymentDirection.Refunded);
        _logPayment(key, jobCreator, toJobCreator, PaymentReason.PaymentCollateral, PaymentDirection.Refunded);
        uint256 judgeCollateral = terms.timeouts.judgeResultsCollateral;
        if (judge == JudgeCollateral.ReturnToJobCreator) {
            _logPayment(key, jobCreator, judgeCollateral, PaymentReason.TimeoutCollateral, PaymentDirection.Refunded);
            toJobCreator += judgeCollateral;
        } else if (judge == JudgeCollateral.SlashToProvider) {
            _logPayment(key, provider, judgeCollateral, PaymentReason.TimeoutCollateral, PaymentDirection.Slashed);
            toProvider += judgeCollateral;
        }
        _push(provider, toProvider);
        _push(jobCreator, toJobCreator);
    }

    /// @dev Loads a deal under mediation for its drawn mediator, moves it to `outcome` and clears its draw.
    function _loadForMediator(
        bytes32 dealId,
        DealTerms calldata terms,
        uint64 instructionCount,
        AgreementState outcome
    ) private returns (bytes32 key, address mediator) {
        DealRecord memory record;
        (key, record, ) = _load(dealId, terms, instructionCount, AgreementState.ResultsChecked);
        mediator = terms.members.mediators[_drawnIndex(key, terms.members.mediators.length)];
        _requireCaller(key, mediator);
        _requireBeforeDeadline(key, record.updatedAt, terms.timeouts.mediateResults);
        delete _draws[key];
        _transition(key, record, outcome);
    }

    function _payMediator(bytes32 key, address mediator, uint256 fee) private {
        _logPayment(key, mediator, fee, PaymentReason.MediationFee, PaymentDirection.PaidOut);
        _push(mediator, fee);
    }

    function _resultsCollateral(DealPricing calldata pricing, uint64 instructionCount) private pure returns (uint256) {
        // Same order of operations as _payForResults: once addResult has computed this without overflow,
        // every settlement of the deal can compute its amounts too.
        return pricing.resultsCollateralMultiple * (pricing.instructionPrice * instructionCount);
    }

    /// @dev ECDSA first: asking whether the signer has code (for ERC-1271) costs a cold account access that
    /// externally owned accounts, the common case, should not pay.
    /// A party submitting the agreement itself authorises it by sending the transaction: its signature is
    /// not needed (and may be empty).
    function _requireSignature(address signer, bytes32 digest, bytes calldata signature) private view {
        if (msg.sender == signer) return;
        (address recovered, ECDSA.RecoverError error, ) = ECDSA.tryRecoverCalldata(digest, signature);
        if (error == ECDSA.RecoverError.NoError && recovered == signer) return;
        if (!SignatureChecker.isValidERC1271SignatureNowCalldata(signer, digest, signature)) {
            revert Errors.DealMarket_InvalidSignature(signer);
        }
    }
}
