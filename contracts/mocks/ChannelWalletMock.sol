// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC1271 } from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import { ECDSA } from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice A contract wallet as a payment-channel party: ERC-1271 signatures are its owner's ECDSA signatures of the
/// hash, the owner drives it through `execute` (forwarding the value sent), and what it does when the native coin
/// arrives is set by `mode`: accept it, refuse it (revert), burn all the gas it is given, call `reentryTarget` with
/// `reentryData` and record how that call ended (then accept), or accept it after six fresh storage writes (more
/// than PaymentChannels' NATIVE_PAYOUT_GAS, far less than a transaction's gas).
contract ChannelWalletMock is IERC1271 {
    enum Mode {
        Accept,
        Refuse,
        BurnGas,
        Reenter,
        Heavy
    }

    /// @notice How the re-entrant call of the last `Reenter` receipt ended (one slot, so a payout's gas suffices).
    struct Reentry {
        bool reentered;
        bool succeeded;
        bytes4 selector;
    }

    bytes4 private constant INVALID = 0xffffffff;

    address public immutable owner;
    Mode public mode;
    bool public rejectSignatures;
    address public reentryTarget;
    bytes public reentryData;
    Reentry public reentry;
    uint256 public sink;
    uint256 public heavyCursor;
    mapping(uint256 slot => uint256) public heavy;

    error ChannelWalletMock_NotOwner(address caller);
    error ChannelWalletMock_Refused(uint256 value);

    constructor(address owner_, Mode mode_) {
        owner = owner_;
        mode = mode_;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert ChannelWalletMock_NotOwner(msg.sender);
        _;
    }

    function setMode(Mode mode_) external onlyOwner {
        mode = mode_;
    }

    function setRejectSignatures(bool reject) external onlyOwner {
        rejectSignatures = reject;
    }

    /// @notice Arms `Reenter`: the next native coin received calls `target` with `data`.
    function arm(address target, bytes calldata data) external onlyOwner {
        mode = Mode.Reenter;
        reentryTarget = target;
        reentryData = data;
        delete reentry;
    }

    receive() external payable {
        if (mode == Mode.Refuse) revert ChannelWalletMock_Refused(msg.value);
        if (mode == Mode.BurnGas) {
            for (uint256 i = 0; ; ++i) sink = i;
        }
        if (mode == Mode.Reenter) {
            (bool ok, bytes memory result) = reentryTarget.call(reentryData);
            reentry = Reentry({ reentered: true, succeeded: ok, selector: bytes4(result) });
        }
        if (mode == Mode.Heavy) {
            uint256 cursor = heavyCursor;
            for (uint256 i = 0; i < 6; ++i) heavy[cursor + i] = 1;
            heavyCursor = cursor + 6;
        }
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view override returns (bytes4) {
        if (rejectSignatures) return INVALID;
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == owner ? IERC1271.isValidSignature.selector : INVALID;
    }

    /// @notice Calls `target` with `data` and the value sent, as this wallet; bubbles up a revert.
    function execute(address target, bytes calldata data) external payable onlyOwner returns (bytes memory result) {
        bool ok;
        (ok, result) = target.call{ value: msg.value }(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }
}
