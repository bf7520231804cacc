// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Ownable } from "@openzeppelin/contracts/access/Ownable.sol";
import { ERC20 } from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import { ERC20Permit } from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title AccordToken
/// @notice An ERC20 with EIP-2612 permit for local networks and tests; any ERC20 can back a DealMarket.
contract AccordToken is ERC20, ERC20Permit, Ownable {
    /// @notice Mints `initialSupply` to `initialHolder`, which owns the mint right.
    /// @param initialHolder Receives `initialSupply` and owns the mint right.
    constructor(
        address initialHolder,
        uint256 initialSupply
    ) ERC20("Accord Token", "ACD") ERC20Permit("Accord Token") Ownable(initialHolder) {
        _mint(initialHolder, initialSupply);
    }

    /// @notice Mint `amount` to `to`. Only the owner. Emits {Transfer}.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
