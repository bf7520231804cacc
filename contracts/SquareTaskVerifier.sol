// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { ITaskVerifier } from "./interfaces/ITaskVerifier.sol";

/// @title SquareTaskVerifier
/// @notice The reference's example task type: the payload is `abi.encode(uint256 n)` with n < 2^128, the correct
/// response `abi.encode(uint256 n * n)`. Anything malformed (a wrong length, n too large) is simply not correct.
contract SquareTaskVerifier is ITaskVerifier {
    /// @inheritdoc ITaskVerifier
    function isCorrect(bytes calldata payload, bytes calldata response) external pure override returns (bool) {
        if (payload.length != 32 || response.length != 32) return false;
        uint256 n = abi.decode(payload, (uint256));
        if (n >= 2 ** 128) return false;
        return abi.decode(response, (uint256)) == n * n;
    }
}
