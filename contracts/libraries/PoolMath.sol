// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Pool, PoolStatus, ResourceBalance } from "../types/PoolTypes.sol";

/// @title PoolMath
/// @notice The pool arithmetic, in integers: the lazy draw-down, `emptyAt` and the status. Pure functions over a
/// pool in memory; `src/pools/model.ts` is the same rules in TypeScript, and the property tests hold the two equal.
library PoolMath {
    /// @notice `emptyAt` of a pool that never empties.
    uint40 internal constant NEVER = type(uint40).max;

    /// @notice Draws the pool down to `nowTs`: each balance −= rate × elapsed, counting time only up to
    /// `emptyAt` (nothing accrues after it), and moves `lastUpdated` to `nowTs`.
    /// @dev `emptyAt` is at most `lastUpdated + balance / rate` for every resource with a rate, so no balance goes
    /// below zero; a sync alone never moves `emptyAt`.
    /// @return earned The tokens the consumption is worth: `value × consumed / balance` per resource.
    function drawDown(Pool memory p, uint256 nowTs) internal pure returns (uint256 earned) {
        uint256 last = p.lastUpdated;
        uint256 end = p.emptyAt < nowTs ? p.emptyAt : nowTs;
        if (end > last) {
            uint256 elapsed = end - last;
            earned =
                consume(p.cu, p.cuRate * elapsed) +
                consume(p.su, p.suRate * elapsed) +
                consume(p.ipv4u, p.ipv4uRate * elapsed);
        }
        p.lastUpdated = uint40(nowTs);
    }

    /// @notice Takes `used` milli-unit-seconds from a resource and returns what they were worth.
    function consume(ResourceBalance memory r, uint256 used) internal pure returns (uint256 paid) {
        if (used == 0) return 0;
        uint256 balance = r.balance;
        paid = used == balance ? r.value : (uint256(r.value) * used) / balance;
        r.balance = uint128(balance - used);
        r.value -= uint128(paid);
    }

    /// @notice `emptyAt = nowTs + min(balance / rate)` over the resources whose rate is not zero; NEVER if none
    /// (or if that is beyond what a uint40 holds).
    function emptyAt(Pool memory p, uint256 nowTs) internal pure returns (uint40) {
        uint256 runway = type(uint256).max;
        runway = _bind(runway, p.cu.balance, p.cuRate);
        runway = _bind(runway, p.su.balance, p.suRate);
        runway = _bind(runway, p.ipv4u.balance, p.ipv4uRate);
        if (runway >= NEVER - nowTs) return NEVER;
        return uint40(nowTs + runway);
    }

    /// @notice The status at `nowTs` of a pool synced to `nowTs`.
    function status(Pool memory p, uint256 nowTs, uint256 lowRunway) internal pure returns (PoolStatus) {
        if (p.runningCount == 0) return PoolStatus.Idle;
        uint256 empty = p.emptyAt;
        if (empty == NEVER) return PoolStatus.Active;
        if (nowTs < empty) return empty - nowTs <= lowRunway ? PoolStatus.RunwayLow : PoolStatus.Active;
        if (nowTs <= graceEndsAt(p)) return PoolStatus.Empty;
        return PoolStatus.GraceOver;
    }

    /// @notice The last second in which a top-up still resumes the workloads of an empty pool.
    function graceEndsAt(Pool memory p) internal pure returns (uint256) {
        return uint256(p.emptyAt) + p.graceSeconds;
    }

    function _bind(uint256 runway, uint256 balance, uint256 rate) private pure returns (uint256) {
        if (rate == 0) return runway;
        uint256 seconds_ = balance / rate;
        return seconds_ < runway ? seconds_ : runway;
    }
}
