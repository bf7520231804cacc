// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IServiceRegistry } from "./interfaces/IServiceRegistry.sol";
import { Errors } from "./libraries/Errors.sol";
import { Service, ServiceType } from "./types/DataTypes.sol";

/// @title ServiceRegistry
/// @notice See {IServiceRegistry}. Each role keeps an index of its accounts so lists are paginated views and
/// every change is O(1).
contract ServiceRegistry is IServiceRegistry {
    /// @inheritdoc IServiceRegistry
    uint256 public constant override MAX_URL_LENGTH = 2048;

    uint8 private constant ROLE_COUNT = uint8(type(ServiceType).max) + 1;
    uint8 private constant ALL_ROLES = uint8((1 << ROLE_COUNT) - 1);

    mapping(address account => Service service) private _services;
    mapping(ServiceType role => address[] accounts) private _accountsByRole;
    /// @dev Position in `_accountsByRole[role]` plus one; zero means absent.
    mapping(ServiceType role => mapping(address account => uint256 position)) private _positions;

    /// @inheritdoc IServiceRegistry
    function register(uint8 roles, bytes32 metadata, string calldata url) external override {
        if (roles == 0 || roles & ~ALL_ROLES != 0) revert Errors.ServiceRegistry_InvalidRoles(roles);
        if (bytes(url).length > MAX_URL_LENGTH) {
            revert Errors.ServiceRegistry_UrlTooLong(bytes(url).length, MAX_URL_LENGTH);
        }
        Service storage service = _services[msg.sender];
        uint8 previous = service.roles;
        service.roles = roles;
        service.metadata = metadata;
        service.url = url;
        emit ServiceRegistered(msg.sender, roles, metadata, url);
        _applyRoles(msg.sender, previous, roles);
    }

    /// @inheritdoc IServiceRegistry
    function unregister() external override {
        uint8 previous = _services[msg.sender].roles;
        if (previous == 0) revert Errors.ServiceRegistry_NotRegistered(msg.sender);
        delete _services[msg.sender];
        _applyRoles(msg.sender, previous, 0);
        emit ServiceUnregistered(msg.sender);
    }

    /// @inheritdoc IServiceRegistry
    function getService(address account) external view override returns (Service memory) {
        return _services[account];
    }

    /// @inheritdoc IServiceRegistry
    function hasRole(address account, ServiceType role) external view override returns (bool) {
        return _positions[role][account] != 0;
    }

    /// @inheritdoc IServiceRegistry
    function countByRole(ServiceType role) external view override returns (uint256) {
        return _accountsByRole[role].length;
    }

    /// @inheritdoc IServiceRegistry
    function getServicesByRole(
        ServiceType role,
        uint256 offset,
        uint256 limit
    ) external view override returns (address[] memory accounts) {
        address[] storage all = _accountsByRole[role];
        uint256 total = all.length;
        if (offset >= total) return new address[](0);
        uint256 end = total - offset < limit ? total : offset + limit;
        accounts = new address[](end - offset);
        for (uint256 i = offset; i < end; ++i) {
            accounts[i - offset] = all[i];
        }
    }

    /// @dev Adds and removes `account` from the per-role indexes; ROLE_COUNT (5) iterations at most.
    function _applyRoles(address account, uint8 previous, uint8 next) private {
        uint8 changed = previous ^ next;
        for (uint8 i = 0; i < ROLE_COUNT; ++i) {
            uint8 bit = uint8(1 << i);
            if (changed & bit == 0) continue;
            ServiceType role = ServiceType(i);
            if (next & bit != 0) {
                _accountsByRole[role].push(account);
                _positions[role][account] = _accountsByRole[role].length;
                emit ServiceRoleAdded(account, role);
            } else {
                _removeFromRole(role, account);
                emit ServiceRoleRemoved(account, role);
            }
        }
    }

    function _removeFromRole(ServiceType role, address account) private {
        address[] storage accounts = _accountsByRole[role];
        uint256 position = _positions[role][account];
        uint256 lastPosition = accounts.length;
        if (position != lastPosition) {
            address last = accounts[lastPosition - 1];
            accounts[position - 1] = last;
            _positions[role][last] = position;
        }
        accounts.pop();
        delete _positions[role][account];
    }
}
