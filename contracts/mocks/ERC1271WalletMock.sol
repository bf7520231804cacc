// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC1271 } from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import { ECDSA } from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice A minimal smart-contract wallet for tests: ERC-1271 signatures are its owner's ECDSA signatures over
/// the hash, and the owner drives it through `execute` (approve the market, call agree, ...).
contract ERC1271WalletMock is IERC1271 {
    bytes4 private constant INVALID = 0xffffffff;

    address public immutable owner;
    /// @dev When set, every signature is rejected (a revoked or locked wallet).
    bool public rejectSignatures;

    error ERC1271WalletMock_NotOwner(address caller);

    constructor(address owner_) {
        owner = owner_;
    }

    function setRejectSignatures(bool reject) external {
        if (msg.sender != owner) revert ERC1271WalletMock_NotOwner(msg.sender);
        rejectSignatures = reject;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view override returns (bytes4) {
        if (rejectSignatures) return INVALID;
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(hash, signature);
        return err == ECDSA.RecoverError.NoError && recovered == owner ? IERC1271.isValidSignature.selector : INVALID;
    }

    /// @notice Call `target` with `data` as this wallet; bubbles up a revert.
    function execute(address target, bytes calldata data) external returns (bytes memory result) {
        if (msg.sender != owner) revert ERC1271WalletMock_NotOwner(msg.sender);
        bool ok;
        (ok, result) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }
}
