// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Service, ServiceType } from "../types/DataTypes.sol";

/// @title IServiceRegistry
/// @notice Where solvers, mediators, directories, resource providers and job creators announce themselves:
/// the roles they offer, a metadata CID and the URL they answer at.
interface IServiceRegistry {
    /// @notice `account` registered, or updated its entry, with these values.
    /// @param roles Bit i set = the account offers ServiceType(i).
    /// @param metadata The sha256 digest of the metadata document's CID.
    event ServiceRegistered(address indexed account, uint8 roles, bytes32 metadata, string url);

    /// @notice `account` now offers `role`.
    event ServiceRoleAdded(address indexed account, ServiceType indexed role);

    /// @notice `account` no longer offers `role`.
    event ServiceRoleRemoved(address indexed account, ServiceType indexed role);

    /// @notice `account` removed its entry (and every role).
    event ServiceUnregistered(address indexed account);

    /// @notice The longest URL accepted, in bytes.
    function MAX_URL_LENGTH() external view returns (uint256);

    /// @notice Register the caller, or replace its entry: roles, metadata CID digest and URL.
    /// @dev Emits {ServiceRegistered}, and {ServiceRoleAdded} / {ServiceRoleRemoved} for each role that changed.
    /// @param roles A non-empty bitmap of ServiceType indices (bit i = ServiceType(i)).
    function register(uint8 roles, bytes32 metadata, string calldata url) external;

    /// @notice Remove the caller's entry. Emits {ServiceRoleRemoved} per role and {ServiceUnregistered}.
    function unregister() external;

    /// @notice The entry of `account` (roles 0 when not registered).
    function getService(address account) external view returns (Service memory);

    /// @notice Whether `account` offers `role`.
    function hasRole(address account, ServiceType role) external view returns (bool);

    /// @notice How many accounts offer `role`.
    function countByRole(ServiceType role) external view returns (uint256);

    /// @notice Up to `limit` accounts offering `role`, starting at `offset` (registration order, except that a
    /// removal moves the last account into the freed place).
    function getServicesByRole(
        ServiceType role,
        uint256 offset,
        uint256 limit
    ) external view returns (address[] memory accounts);
}
