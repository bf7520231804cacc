// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { ERC20 } from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice An ERC20 that can blacklist accounts (as USDC/USDT do): a blacklisted account can neither send nor
/// receive. In `returnFalse` mode a `transfer` to or from a blacklisted account returns false instead of
/// reverting (the other failure style SafeERC20 must handle).
contract BlacklistERC20Mock is ERC20 {
    mapping(address account => bool) public blacklisted;
    bool public returnFalse;

    error BlacklistERC20Mock_Blacklisted(address account);

    constructor() ERC20("Blacklist Token", "BLT") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlacklisted(address account, bool value) external {
        blacklisted[account] = value;
    }

    function setReturnFalse(bool value) external {
        returnFalse = value;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        if (returnFalse && (blacklisted[msg.sender] || blacklisted[to])) return false;
        return super.transfer(to, value);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blacklisted[from]) revert BlacklistERC20Mock_Blacklisted(from);
        if (blacklisted[to]) revert BlacklistERC20Mock_Blacklisted(to);
        super._update(from, to, value);
    }
}
