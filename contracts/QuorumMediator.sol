// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import { ReentrancyGuardTransient } from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import { IDealMarket } from "./interfaces/IDealMarket.sol";
import { IQuorumMediator } from "./interfaces/IQuorumMediator.sol";
import { ITaskManager } from "./interfaces/ITaskManager.sol";
import { Errors } from "./libraries/Errors.sol";
import { DealTerms } from "./types/DataTypes.sol";
import { Task, TaskStatus } from "./types/QuorumTypes.sol";

/// @title QuorumMediator
/// @notice See {IQuorumMediator}. It holds exactly the fees credited to aggregators and not yet withdrawn.
contract QuorumMediator is IQuorumMediator, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice A deal's latest verdict task and how many were asked.
    struct VerdictTask {
        bytes32 taskId;
        uint32 attempts;
    }

    /// @inheritdoc IQuorumMediator
    uint8 public constant override VERDICT_ACCEPT = 1;
    /// @inheritdoc IQuorumMediator
    uint8 public constant override VERDICT_REJECT = 2;

    bytes32 private constant ACCEPT_HASH = keccak256(abi.encode(uint8(1)));
    bytes32 private constant REJECT_HASH = keccak256(abi.encode(uint8(2)));

    /// @inheritdoc IQuorumMediator
    IDealMarket public immutable override market;
    /// @inheritdoc IQuorumMediator
    ITaskManager public immutable override taskManager;
    /// @notice The token the market pays mediation fees in.
    IERC20 public immutable token;
    /// @inheritdoc IQuorumMediator
    uint8 public immutable override quorum;
    /// @inheritdoc IQuorumMediator
    uint8 public immutable override thresholdPercent;
    /// @inheritdoc IQuorumMediator
    uint64 public immutable override responseWindow;

    mapping(bytes32 dealKey => VerdictTask task) private _verdicts;

    /// @inheritdoc IQuorumMediator
    mapping(address account => uint256 amount) public override credit;

    /// @notice Deploys the mediator for one quorum of a task manager, on one market.
    /// @param dealMarket The market whose deals it mediates.
    /// @param tasks The task manager its verdict tasks live in.
    /// @param feeToken The market's token (the mediation fees).
    /// @param attestingQuorum The quorum that attests.
    /// @param threshold The share of the quorum's stake a verdict needs, 1..100.
    /// @param window The seconds the quorum has per verdict task, within the task manager's bounds.
    constructor(
        IDealMarket dealMarket,
        ITaskManager tasks,
        IERC20 feeToken,
        uint8 attestingQuorum,
        uint8 threshold,
        uint64 window
    ) {
        if (address(dealMarket) == address(0) || address(tasks) == address(0) || address(feeToken) == address(0)) {
            revert Errors.QuorumMediator_ZeroAddress();
        }
        if (threshold == 0 || threshold > 100) revert Errors.QuorumMediator_InvalidThreshold(threshold);
        if (window < tasks.MIN_RESPONSE_WINDOW() || window > tasks.MAX_RESPONSE_WINDOW()) {
            revert Errors.QuorumMediator_InvalidResponseWindow(window);
        }
        market = dealMarket;
        taskManager = tasks;
        token = feeToken;
        quorum = attestingQuorum;
        thresholdPercent = threshold;
        responseWindow = window;
    }

    /// @inheritdoc IQuorumMediator
    function verdictTask(bytes32 dealKey) external view override returns (bytes32 taskId, uint32 attempts) {
        VerdictTask storage verdict = _verdicts[dealKey];
        return (verdict.taskId, verdict.attempts);
    }

    /// @inheritdoc IQuorumMediator
    function requestVerdict(
        bytes32 dealId,
        DealTerms calldata terms,
        uint64 instructionCount
    ) external override nonReentrant returns (bytes32 taskId) {
        (address drawn, ) = market.drawnMediator(dealId, terms, instructionCount);
        if (drawn != address(this)) revert Errors.QuorumMediator_NotDrawn(dealId, drawn);
        address jobCreator = terms.members.jobCreator;
        address resourceProvider = terms.members.resourceProvider;
        bytes32 key = market.dealKey(dealId, jobCreator, resourceProvider);
        VerdictTask storage verdict = _verdicts[key];
        uint32 attempt = verdict.attempts;
        if (attempt != 0) {
            TaskStatus status = taskManager.taskStatus(verdict.taskId);
            if (status != TaskStatus.Expired && status != TaskStatus.Challenged) {
                revert Errors.QuorumMediator_VerdictPending(key, verdict.taskId, status);
            }
        }
        bytes32 salt = keccak256(abi.encode(key, attempt));
        taskId = taskManager.taskId(address(this), salt);
        verdict.taskId = taskId;
        verdict.attempts = attempt + 1;
        emit VerdictRequested(dealId, taskId, attempt);
        bytes memory payload = abi.encode(
            dealId,
            jobCreator,
            resourceProvider,
            instructionCount,
            market.hashTerms(terms)
        );
        taskManager.createTask(salt, quorum, thresholdPercent, responseWindow, address(0), payload);
    }

    /// @inheritdoc IQuorumMediator
    function applyVerdict(
        bytes32 dealId,
        DealTerms calldata terms,
        uint64 instructionCount
    ) external override nonReentrant {
        bytes32 key = market.dealKey(dealId, terms.members.jobCreator, terms.members.resourceProvider);
        VerdictTask storage verdict = _verdicts[key];
        if (verdict.attempts == 0) revert Errors.QuorumMediator_NoVerdictTask(key);
        bytes32 taskId = verdict.taskId;
        if (!taskManager.isFinal(taskId)) revert Errors.QuorumMediator_VerdictNotFinal(taskId);
        (bytes32 responseHash, address aggregator) = _response(taskId);
        bool accepted = responseHash == ACCEPT_HASH;
        if (!accepted && responseHash != REJECT_HASH) revert Errors.QuorumMediator_InvalidVerdict(taskId, responseHash);

        // The market pays the fee to the drawn mediator (this contract) inside the call: what arrives is the fee.
        uint256 balanceBefore = token.balanceOf(address(this));
        if (accepted) market.mediationAcceptResult(dealId, terms, instructionCount);
        else market.mediationRejectResult(dealId, terms, instructionCount);
        uint256 fee = token.balanceOf(address(this)) - balanceBefore;
        credit[aggregator] += fee;
        emit VerdictApplied(dealId, taskId, aggregator, accepted, fee);
    }

    /// @inheritdoc IQuorumMediator
    function withdraw(address to) external override nonReentrant {
        uint256 amount = credit[msg.sender];
        if (amount == 0) revert Errors.QuorumMediator_NothingToWithdraw(msg.sender);
        if (to == address(0)) revert Errors.QuorumMediator_ZeroAddress();
        credit[msg.sender] = 0;
        emit Withdrawn(msg.sender, to, amount);
        token.safeTransfer(to, amount);
    }

    function _response(bytes32 taskId) private view returns (bytes32 responseHash, address aggregator) {
        Task memory task = taskManager.getTask(taskId);
        (responseHash, aggregator) = (task.responseHash, task.aggregator);
    }
}
