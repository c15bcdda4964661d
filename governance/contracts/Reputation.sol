// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title Reputation
/// @notice Atelier's voting token: non-transferable reputation earned through accepted
/// contributions. Only the owner (the DAO's TimelockController) can mint or burn it, and
/// nobody can transfer or approve it. Capital buys revenue shares, not votes.
/// @dev ERC-5805 votes with an ERC-6372 timestamp clock (`mode=timestamp`). A holder is
/// self-delegated automatically when reputation is minted to an account that has no delegate,
/// so members can vote without a delegation transaction. Delegation to another account is
/// refused ({ReputationDelegationRestricted}): it would move all of a member's voting power
/// to anyone, which makes reputation transferable in effect (it could be sold off-chain).
/// A member may only delegate to itself, or to `address(0)` (abstain until its next mint,
/// which self-delegates it again).
/// `transfer`, `transferFrom` and `approve` always revert with {ReputationNonTransferable};
/// so does `permit` once its signature checks out (ERC20Permit is kept for the EIP-712
/// domain and the nonces that `delegateBySig` shares). The ERC-20 ABI stays standard.
contract Reputation is ERC20, ERC20Permit, ERC20Votes, Ownable {
    /// @notice Reputation cannot be transferred or approved; it only moves by mint or burn.
    error ReputationNonTransferable();

    /// @notice Voting power stays with the member who earned it: delegating to another
    /// account is refused.
    /// @param account The account that tried to delegate.
    /// @param delegatee The account it named.
    error ReputationDelegationRestricted(address account, address delegatee);

    /// @notice The constructor's `holders` and `amounts` arrays have different lengths.
    /// @param holders Length of the `holders` array.
    /// @param amounts Length of the `amounts` array.
    error ReputationGrantMismatch(uint256 holders, uint256 amounts);

    /// @param name_ Token name (also the EIP-712 domain name).
    /// @param symbol_ Token symbol.
    /// @param initialOwner The account allowed to mint and burn (the DAO's timelock).
    /// @param holders Accounts receiving an initial grant; each is self-delegated.
    /// @param amounts Initial grant of each holder, in the token's smallest unit (18 decimals).
    constructor(
        string memory name_,
        string memory symbol_,
        address initialOwner,
        address[] memory holders,
        uint256[] memory amounts
    ) ERC20(name_, symbol_) ERC20Permit(name_) Ownable(initialOwner) {
        if (holders.length != amounts.length) {
            revert ReputationGrantMismatch(holders.length, amounts.length);
        }
        for (uint256 i = 0; i < holders.length; ++i) {
            _mint(holders[i], amounts[i]);
        }
    }

    /// @notice Grant `amount` reputation to `to`, self-delegating `to` if it has no delegate.
    /// @dev Only the owner (the timelock, i.e. an executed proposal) can mint.
    /// @param to The account receiving reputation.
    /// @param amount Amount to mint.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }

    /// @notice Remove `amount` reputation from `from`.
    /// @dev Only the owner (the timelock, i.e. an executed proposal) can burn.
    /// @param from The account losing reputation.
    /// @param amount Amount to burn.
    function burn(address from, uint256 amount) external onlyOwner {
        _burn(from, amount);
    }

    /// @notice ERC-6372 clock: the current block timestamp.
    /// @return The current timepoint (block timestamp, in seconds).
    function clock() public view override returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice ERC-6372 clock description.
    /// @return Always `mode=timestamp`.
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    /// @inheritdoc Nonces
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    /// @dev Refuses transfers (mint and burn only) and self-delegates a recipient without a
    /// delegate before its voting units are moved, so the mint checkpoints its votes at once.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        if (from == address(0)) {
            if (delegates(to) == address(0)) {
                _delegate(to, to);
            }
        } else if (to != address(0)) {
            revert ReputationNonTransferable();
        }
        super._update(from, to, value);
    }

    /// @dev Only self-delegation (or none): `delegate` and `delegateBySig` to another account
    /// revert, so voting power cannot be handed over.
    function _delegate(address account, address delegatee) internal override {
        if (delegatee != account && delegatee != address(0)) {
            revert ReputationDelegationRestricted(account, delegatee);
        }
        super._delegate(account, delegatee);
    }

    /// @dev Refuses every allowance: `approve` and `permit` (after its signature check) revert.
    function _approve(address, address, uint256, bool) internal pure override {
        revert ReputationNonTransferable();
    }

    /// @dev Makes `transferFrom` revert with {ReputationNonTransferable} before its allowance
    /// check (which would otherwise report an insufficient allowance).
    function _spendAllowance(address, address, uint256) internal pure override {
        revert ReputationNonTransferable();
    }
}
