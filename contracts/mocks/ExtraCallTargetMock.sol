// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice Targets for a voucher's extra call (`extraTarget.staticcall(extraData)`): one function per way the call
/// can end, so the tests can show which of them PaymentChannels accepts (only an ABI-encoded true, 32 bytes).
contract ExtraCallTargetMock {
    /// @notice Written by `write`, which therefore fails under a staticcall.
    uint256 public writes;

    error ExtraCallTargetMock_No();

    /// @notice Returns `value` (true: the only answer that passes; false: a refusal).
    function answer(bool value) external pure returns (bool) {
        return value;
    }

    /// @notice Returns true from `time` on: a condition a voucher may depend on.
    function reached(uint64 time) external view returns (bool) {
        return block.timestamp >= time;
    }

    /// @notice Reverts.
    function fail() external pure {
        revert ExtraCallTargetMock_No();
    }

    /// @notice Returns 32 bytes that are not an ABI-encoded true.
    function two() external pure returns (uint256) {
        return 2;
    }

    /// @notice Returns 64 bytes whose first word is 1 (a true followed by more data).
    function pair() external pure returns (uint256, uint256) {
        return (1, 1);
    }

    /// @notice Returns nothing.
    function nothing() external pure {}

    /// @notice Changes state, so a staticcall of it fails.
    function write() external returns (bool) {
        writes += 1;
        return true;
    }
}
