// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import { IPaymentChannels } from "../interfaces/IPaymentChannels.sol";
import { Channel, Lane } from "../types/ChannelTypes.sol";

/// @notice Reads, in one call, everything the PaymentChannels property test compares with its model: channels,
/// lanes, native and ERC20 balances, deferred payouts (native and ERC20) of a list of accounts.
contract ChannelsProbeMock {
    struct LaneKey {
        bytes32 channelId;
        uint64 lane;
    }

    struct Probe {
        Channel[] channels;
        Lane[] lanes;
        uint256[] nativeBalances;
        uint256[] tokenBalances;
        uint256[] deferredNative;
        uint256[] deferredToken;
    }

    function probe(
        IPaymentChannels target,
        IERC20 token,
        bytes32[] calldata channelIds,
        LaneKey[] calldata lanes,
        address[] calldata accounts
    ) external view returns (Probe memory p) {
        p.channels = new Channel[](channelIds.length);
        for (uint256 i = 0; i < channelIds.length; ++i) p.channels[i] = target.getChannel(channelIds[i]);
        p.lanes = new Lane[](lanes.length);
        for (uint256 i = 0; i < lanes.length; ++i) p.lanes[i] = target.getLane(lanes[i].channelId, lanes[i].lane);
        p.nativeBalances = new uint256[](accounts.length);
        p.tokenBalances = new uint256[](accounts.length);
        p.deferredNative = new uint256[](accounts.length);
        p.deferredToken = new uint256[](accounts.length);
        for (uint256 i = 0; i < accounts.length; ++i) {
            p.nativeBalances[i] = accounts[i].balance;
            p.tokenBalances[i] = token.balanceOf(accounts[i]);
            p.deferredNative[i] = target.deferredPayouts(address(0), accounts[i]);
            p.deferredToken[i] = target.deferredPayouts(address(token), accounts[i]);
        }
    }
}
