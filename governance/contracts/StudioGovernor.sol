// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorCountingSimple} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorProposalGuardian} from "@openzeppelin/contracts/governance/extensions/GovernorProposalGuardian.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorTimelockControl} from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {GovernorVotesQuorumFraction} from "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {IERC6372} from "@openzeppelin/contracts/interfaces/IERC6372.sol";
import {ERC6372Utils} from "@openzeppelin/contracts/utils/ERC6372Utils.sol";

/// @title StudioGovernor
/// @notice The Atelier studio's governor: members propose and vote with their reputation;
/// passed proposals are queued in and executed by the TimelockController, which owns the
/// registries and the treasury. The proposal guardian (the ethics committee) can cancel any
/// proposal at any stage.
/// @dev Stock OpenZeppelin modules only, composed as the OpenZeppelin Contracts Wizard does;
/// the contract adds no storage, and every standard Governor event and getter is unchanged,
/// so third-party Governor tools work against it. Beyond the required overrides, one
/// deliberate difference from the Wizard: the ERC-6372 clock is `block.timestamp` read
/// locally instead of through an external call to the token (GovernorVotes' default), which
/// saves a call on every `state` lookup (propose, vote, queue, execute, cancel). The
/// constructor refuses a token whose clock is not the timestamp, so both clocks always agree.
/// `votingDelay` and `votingPeriod` are therefore in seconds.
contract StudioGovernor is
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl,
    GovernorProposalGuardian
{
    /// @param token The voting token (Reputation); its ERC-6372 clock must be the timestamp.
    /// @param timelock The TimelockController that queues and executes passed proposals.
    /// @param initialVotingDelay Seconds between proposing and the vote snapshot/start.
    /// @param initialVotingPeriod Seconds the vote stays open.
    /// @param initialProposalThreshold Votes an account needs to propose (0 = anyone).
    /// @param quorumNumerator Quorum as a percentage of the total supply at the snapshot.
    /// @param guardian The proposal guardian (ethics committee), who can cancel any proposal
    /// at any stage. Proposers can always cancel their own proposals while Pending; with
    /// `address(0)` as guardian they can cancel them at any stage instead.
    constructor(
        IVotes token,
        TimelockController timelock,
        uint48 initialVotingDelay,
        uint32 initialVotingPeriod,
        uint256 initialProposalThreshold,
        uint256 quorumNumerator,
        address guardian
    )
        Governor("Atelier Studio")
        GovernorSettings(initialVotingDelay, initialVotingPeriod, initialProposalThreshold)
        GovernorVotes(token)
        GovernorVotesQuorumFraction(quorumNumerator)
        GovernorTimelockControl(timelock)
    {
        // Reverts ERC6372InconsistentClock unless the token's clock is the block timestamp.
        ERC6372Utils.timestampClockMode(IERC6372(address(token)));
        _setProposalGuardian(guardian);
    }

    /// @notice ERC-6372 clock: the current block timestamp (the token's clock too).
    /// @return The current timepoint, in seconds.
    function clock() public view override(Governor, GovernorVotes) returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice ERC-6372 clock description.
    /// @return Always `mode=timestamp`.
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override(Governor, GovernorVotes) returns (string memory) {
        return "mode=timestamp";
    }

    // The following functions are overrides required by Solidity.

    function state(
        uint256 proposalId
    ) public view override(Governor, GovernorTimelockControl) returns (ProposalState) {
        return super.state(proposalId);
    }

    function proposalNeedsQueuing(
        uint256 proposalId
    ) public view override(Governor, GovernorTimelockControl) returns (bool) {
        return super.proposalNeedsQueuing(proposalId);
    }

    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }

    function _validateCancel(
        uint256 proposalId,
        address caller
    ) internal view override(Governor, GovernorProposalGuardian) returns (bool) {
        return super._validateCancel(proposalId, caller);
    }
}
