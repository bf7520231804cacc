// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { ERC20 } from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice An ERC20 with a transfer hook (as ERC-777/ERC-1363-style tokens have): once armed, the next
/// transfer calls `target` with `data` before moving the tokens, and records how that call ended. The hook
/// never reverts itself, so the outer transfer goes on and the test can inspect the re-entrant call's result.
contract ReentrantERC20Mock is ERC20 {
    address public hookTarget;
    bytes public hookData;
    bool public armed;

    bool public reentered;
    bool public reentrySucceeded;
    bytes public reentryReturnData;

    constructor() ERC20("Reentrant Token", "RET") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target_, bytes calldata data_) external {
        hookTarget = target_;
        hookData = data_;
        armed = true;
        reentered = false;
        reentrySucceeded = false;
        delete reentryReturnData;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (armed && from != address(0)) {
            armed = false;
            reentered = true;
            (reentrySucceeded, reentryReturnData) = hookTarget.call(hookData);
        }
        super._update(from, to, value);
    }
}
