// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import { EIP712 } from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import { ReentrancyGuardTransient } from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import { OperatorStore } from "./abstracts/OperatorStore.sol";
import { IOperatorRegistry } from "./interfaces/IOperatorRegistry.sol";
import { BLS12381 } from "./libraries/BLS12381.sol";
import { Errors } from "./libraries/Errors.sol";
import { QuorumHashing } from "./libraries/QuorumHashing.sol";
import { Operator, OperatorStatus, QuorumCheckpoint, StakeCheckpoint } from "./types/QuorumTypes.sol";

/// @title OperatorRegistry
/// @notice See {IOperatorRegistry}. Every action checks, updates the operator, its quorums' aggregates and the
/// checkpoints, logs it, and only then moves tokens.
contract OperatorRegistry is IOperatorRegistry, OperatorStore, EIP712, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Deploys the registry on the bond token.
    /// @param bondToken The token bonds are paid in (the market's).
    /// @param minimumBond The least bond an operator registers with (> 0).
    /// @param delay Seconds from `startUnbonding` until the bond can be withdrawn.
    constructor(
        address bondToken,
        uint96 minimumBond,
        uint64 delay
    ) OperatorStore(bondToken, minimumBond, delay) EIP712("Accord OperatorRegistry", "1") {}

    /// @inheritdoc IOperatorRegistry
    function registrationDigest(address operator, bytes calldata publicKey) public view override returns (bytes32) {
        return _hashTypedDataV4(QuorumHashing.hashRegistration(operator, keccak256(publicKey)));
    }

    /*//////////////////////////////////////////////////////////////
                              REGISTRATION
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IOperatorRegistry
    function register(
        bytes calldata publicKey,
        bytes calldata proofOfPossession,
        string calldata url,
        uint96 bond,
        uint8 quorums
    ) external override nonReentrant {
        Operator storage operator = _operators[msg.sender];
        OperatorStatus status = operator.status;
        if (status == OperatorStatus.Active || status == OperatorStatus.Unbonding) {
            revert Errors.OperatorRegistry_AlreadyRegistered(msg.sender, status);
        }
        if (bond < minBond) revert Errors.OperatorRegistry_BondTooLow(bond, minBond);
        // Every bit of a uint8 is a quorum below MAX_QUORUMS (8), so only an empty bitmap is invalid.
        if (quorums == 0) revert Errors.OperatorRegistry_NoQuorums();
        bytes memory key = publicKey;
        if (!BLS12381.isValidEncoding(key, BLS12381.G2_BYTES)) revert Errors.OperatorRegistry_InvalidPublicKey();
        bytes32 keyHash = keccak256(key);
        if (_keys[keyHash].operator != address(0)) revert Errors.OperatorRegistry_KeyTaken(keyHash);
        _checkProofOfPossession(key, keyHash, proofOfPossession);
        _checkUrl(url);

        uint32 blockNumber = SafeCast.toUint32(block.number);
        // A withdrawn operator's old key stops being its key from this block on (see keyStakeAt).
        if (status == OperatorStatus.Withdrawn) _keys[operator.keyHash].retiredAt = blockNumber;
        _keys[keyHash] = KeyRecord({ operator: msg.sender, registeredAt: blockNumber, retiredAt: 0 });
        _publicKeys[msg.sender] = key;
        operator.keyHash = keyHash;
        operator.bond = bond;
        operator.quorums = quorums;
        operator.status = OperatorStatus.Active;
        operator.unbondingEndsAt = 0;
        operator.url = url;
        emit OperatorRegistered(msg.sender, keyHash, bond, quorums, url, key);
        for (uint8 q = 0; q < MAX_QUORUMS; ++q) {
            if ((quorums >> q) & 1 == 1) _join(q, key, bond);
        }
        IERC20(token).safeTransferFrom(msg.sender, address(this), bond);
    }

    /// @inheritdoc IOperatorRegistry
    function increaseBond(uint96 amount) external override nonReentrant {
        Operator storage operator = _activeOperator();
        if (amount == 0) revert Errors.OperatorRegistry_ZeroAmount();
        uint96 bond = operator.bond + amount;
        operator.bond = bond;
        emit BondIncreased(msg.sender, amount, bond);
        uint8 quorums = operator.quorums;
        for (uint8 q = 0; q < MAX_QUORUMS; ++q) {
            if ((quorums >> q) & 1 == 1) {
                _writeStake(msg.sender, q, bond);
                QuorumCheckpoint memory last = _lastQuorumCheckpoint(q);
                _writeQuorum(q, last.operatorCount, last.totalStake + amount, last.apkHash, _apks[q]);
            }
        }
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IOperatorRegistry
    function setUrl(string calldata url) external override {
        Operator storage operator = _activeOperator();
        _checkUrl(url);
        operator.url = url;
        emit OperatorUrlUpdated(msg.sender, url);
    }

    /*//////////////////////////////////////////////////////////////
                                QUORUMS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IOperatorRegistry
    function joinQuorum(uint8 quorum) external override {
        Operator storage operator = _activeOperator();
        if (quorum >= MAX_QUORUMS) revert Errors.OperatorRegistry_InvalidQuorum(quorum);
        uint8 quorums = operator.quorums;
        if ((quorums >> quorum) & 1 == 1) revert Errors.OperatorRegistry_AlreadyInQuorum(msg.sender, quorum);
        operator.quorums = quorums | uint8(1 << quorum);
        _join(quorum, _publicKeys[msg.sender], operator.bond);
    }

    /// @inheritdoc IOperatorRegistry
    function leaveQuorum(uint8 quorum) external override {
        Operator storage operator = _activeOperator();
        uint256 quorums = operator.quorums;
        // A quorum number at or above 8 has no bit in the bitmap: the operator is not in it.
        if ((quorums >> quorum) & 1 == 0) revert Errors.OperatorRegistry_NotInQuorum(msg.sender, quorum);
        uint256 remaining = quorums & ~(uint256(1) << quorum);
        if (remaining == 0) revert Errors.OperatorRegistry_LastQuorum(msg.sender, quorum);
        operator.quorums = uint8(remaining);
        _leave(quorum, _publicKeys[msg.sender], operator.bond);
    }

    /*//////////////////////////////////////////////////////////////
                               UNBONDING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IOperatorRegistry
    function startUnbonding() external override {
        Operator storage operator = _activeOperator();
        uint8 quorums = operator.quorums;
        uint96 bond = operator.bond;
        bytes memory key = _publicKeys[msg.sender];
        for (uint8 q = 0; q < MAX_QUORUMS; ++q) {
            if ((quorums >> q) & 1 == 1) _leave(q, key, bond);
        }
        uint64 endsAt = uint64(block.timestamp) + unbondingDelay;
        operator.quorums = 0;
        operator.status = OperatorStatus.Unbonding;
        operator.unbondingEndsAt = endsAt;
        emit UnbondingStarted(msg.sender, bond, endsAt);
    }

    /// @inheritdoc IOperatorRegistry
    function withdrawBond(address to) external override nonReentrant {
        Operator storage operator = _operators[msg.sender];
        OperatorStatus status = operator.status;
        if (status != OperatorStatus.Unbonding) revert Errors.OperatorRegistry_NotUnbonding(msg.sender, status);
        uint64 endsAt = operator.unbondingEndsAt;
        if (block.timestamp < endsAt) revert Errors.OperatorRegistry_StillUnbonding(msg.sender, endsAt);
        if (to == address(0)) revert Errors.OperatorRegistry_ZeroAddress();
        uint96 amount = operator.bond;
        operator.bond = 0;
        operator.status = OperatorStatus.Withdrawn;
        operator.unbondingEndsAt = 0;
        emit BondWithdrawn(msg.sender, to, amount);
        IERC20(token).safeTransfer(to, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                PRIVATE
    //////////////////////////////////////////////////////////////*/

    function _activeOperator() private view returns (Operator storage operator) {
        operator = _operators[msg.sender];
        OperatorStatus status = operator.status;
        if (status != OperatorStatus.Active) revert Errors.OperatorRegistry_NotActive(msg.sender, status);
    }

    function _checkUrl(string calldata url) private pure {
        uint256 length = bytes(url).length;
        if (length == 0) revert Errors.OperatorRegistry_EmptyUrl();
        if (length > MAX_URL_BYTES) revert Errors.OperatorRegistry_UrlTooLong(length, MAX_URL_BYTES);
    }

    /// @dev e(pop, −g2) · e(H(registrationDigest), key) = 1: the key's owner signed its registration by this caller
    /// on this chain and registry. The pairing precompile refuses points off the curve or the subgroup, so such a
    /// key (or proof) fails here too.
    function _checkProofOfPossession(bytes memory key, bytes32 keyHash, bytes calldata proof) private view {
        bytes32 digest = _hashTypedDataV4(QuorumHashing.hashRegistration(msg.sender, keyHash));
        if (proof.length != BLS12381.G1_BYTES || !BLS12381.verify(proof, key, digest, QuorumHashing.POP_DST)) {
            revert Errors.OperatorRegistry_InvalidProofOfPossession(keyHash);
        }
    }

    /// @dev Adds an operator (its key and bond) to a quorum.
    function _join(uint8 quorum, bytes memory key, uint96 bond) private {
        bytes memory apk = BLS12381.g2Add(_currentApk(quorum), key);
        _apks[quorum] = apk;
        QuorumCheckpoint memory last = _lastQuorumCheckpoint(quorum);
        _writeStake(msg.sender, quorum, bond);
        _writeQuorum(quorum, last.operatorCount + 1, last.totalStake + bond, keccak256(apk), apk);
        emit QuorumJoined(msg.sender, quorum);
    }

    /// @dev Takes an operator (its key and bond) out of a quorum.
    function _leave(uint8 quorum, bytes memory key, uint96 bond) private {
        bytes memory apk = BLS12381.g2Add(_apks[quorum], BLS12381.negateG2(key));
        _apks[quorum] = apk;
        QuorumCheckpoint memory last = _lastQuorumCheckpoint(quorum);
        _writeStake(msg.sender, quorum, 0);
        _writeQuorum(quorum, last.operatorCount - 1, last.totalStake - bond, keccak256(apk), apk);
        emit QuorumLeft(msg.sender, quorum);
    }

    function _currentApk(uint8 quorum) private view returns (bytes memory apk) {
        apk = _apks[quorum];
        if (apk.length == 0) apk = new bytes(BLS12381.G2_BYTES);
    }

    function _lastQuorumCheckpoint(uint8 quorum) private view returns (QuorumCheckpoint memory last) {
        QuorumCheckpoint[] storage history = _quorumCheckpoints[quorum];
        uint256 length = history.length;
        if (length != 0) last = history[length - 1];
    }

    /// @dev Records a quorum's state from this block on (a second change in the same block overwrites it).
    function _writeQuorum(
        uint8 quorum,
        uint32 operatorCount,
        uint96 totalStake,
        bytes32 apkHash,
        bytes memory apk
    ) private {
        uint32 blockNumber = SafeCast.toUint32(block.number);
        QuorumCheckpoint[] storage history = _quorumCheckpoints[quorum];
        QuorumCheckpoint memory checkpoint = QuorumCheckpoint({
            fromBlock: blockNumber,
            operatorCount: operatorCount,
            totalStake: totalStake,
            apkHash: apkHash
        });
        uint256 length = history.length;
        if (length != 0 && history[length - 1].fromBlock == blockNumber) history[length - 1] = checkpoint;
        else history.push(checkpoint);
        emit QuorumUpdated(quorum, blockNumber, operatorCount, totalStake, apkHash, apk);
    }

    /// @dev Records an operator's stake in a quorum from this block on (same-block changes overwrite).
    function _writeStake(address operator, uint8 quorum, uint96 stake) private {
        uint32 blockNumber = SafeCast.toUint32(block.number);
        StakeCheckpoint[] storage history = _stakeCheckpoints[operator][quorum];
        uint256 length = history.length;
        if (length != 0 && history[length - 1].fromBlock == blockNumber) history[length - 1].stake = stake;
        else history.push(StakeCheckpoint({ fromBlock: blockNumber, stake: stake }));
    }
}
