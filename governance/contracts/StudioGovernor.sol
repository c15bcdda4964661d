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
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title StudioGovernor
/// @notice The Atelier studio's governor: members propose and vote with their reputation;
/// passed proposals are queued in and executed by the TimelockController, which owns the
/// registries and the treasury. The proposal guardian (the ethics committee) can cancel any
/// proposal at any stage.
/// @dev Stock OpenZeppelin modules only, composed as the OpenZeppelin Contracts Wizard does;
/// the contract adds no storage (one immutable), and every standard Governor event and getter
/// is unchanged, so third-party Governor tools work against it. Beyond the required
/// overrides, two deliberate differences from the Wizard. First, the optional quadratic
/// counting described below. Second, the ERC-6372 clock is `block.timestamp` read
/// locally instead of through an external call to the token (GovernorVotes' default), which
/// saves a call on every `state` lookup (propose, vote, queue, execute, cancel). The
/// constructor refuses a token whose clock is not the timestamp, so both clocks always agree.
/// `votingDelay` and `votingPeriod` are therefore in seconds.
///
/// Counting is chosen once, at deployment ({quadratic}, immutable):
///
/// - linear (`quadratic == false`): the stock OpenZeppelin behaviour, one vote per unit of
///   reputation at the snapshot; the quorum is `quorumNumerator`% of the total supply.
/// - quadratic (`quadratic == true`): each vote weighs `Math.sqrt(reputation at the
///   snapshot)`, rounded down. Reputation has 18 decimals, so the weight is in units of 1e9
///   per whole point: 100 reputation (100e18) weighs 10e9, 400 weighs 20e9. `proposalVotes`,
///   the `weight` of {VoteCast} / {VoteCastWithParams} and {quorum} are all in that unit.
///   The quorum is taken in the same square-root space:
///   `quorumNumerator * Math.sqrt(totalSupply at the snapshot) / quorumDenominator`.
///   Because `sqrt(a) + sqrt(b) >= sqrt(a + b)`, the members' summed weights are never below
///   `sqrt(totalSupply)` — the weight the whole supply would have in a single account — so a
///   quorum of up to 100% stays reachable however reputation is spread (rounding aside: each
///   root is rounded down by less than one unit), and it is easier to reach the more evenly
///   reputation is spread.
///
/// Only the counting changes: {getVotes} (and the proposal threshold it is compared with)
/// stays in plain reputation, as the token reports it, so `proposalThreshold` keeps meaning
/// "reputation needed to propose" in both modes. `COUNTING_MODE` is unchanged
/// (`support=bravo&quorum=for,abstain`): the support values and the quorum rule are the same.
contract StudioGovernor is
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl,
    GovernorProposalGuardian
{
    /// @notice Whether votes weigh the square root of the voter's reputation (true) or the
    /// reputation itself (false); fixed at deployment.
    bool public immutable quadratic;

    /// @param token The voting token (Reputation); its ERC-6372 clock must be the timestamp.
    /// @param timelock The TimelockController that queues and executes passed proposals.
    /// @param initialVotingDelay Seconds between proposing and the vote snapshot/start.
    /// @param initialVotingPeriod Seconds the vote stays open.
    /// @param initialProposalThreshold Votes an account needs to propose (0 = anyone).
    /// @param quorumNumerator Quorum as a percentage of the total supply at the snapshot.
    /// @param guardian The proposal guardian (ethics committee), who can cancel any proposal
    /// at any stage. Proposers can always cancel their own proposals while Pending; with
    /// `address(0)` as guardian they can cancel them at any stage instead.
    /// @param quadratic_ Count each vote as the square root of the voter's reputation (see the
    /// contract's documentation) instead of the reputation itself.
    constructor(
        IVotes token,
        TimelockController timelock,
        uint48 initialVotingDelay,
        uint32 initialVotingPeriod,
        uint256 initialProposalThreshold,
        uint256 quorumNumerator,
        address guardian,
        bool quadratic_
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
        quadratic = quadratic_;
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

    /// @notice The votes (for + abstain) a proposal with snapshot `timepoint` needs.
    /// @dev Linear: `totalSupply * quorumNumerator / quorumDenominator` (OpenZeppelin's).
    /// Quadratic: `Math.sqrt(totalSupply) * quorumNumerator / quorumDenominator`, in the unit
    /// the votes are counted in (see the contract's documentation).
    /// @param timepoint The proposal's snapshot.
    /// @return The quorum at `timepoint`.
    function quorum(
        uint256 timepoint
    ) public view override(Governor, GovernorVotesQuorumFraction) returns (uint256) {
        if (!quadratic) return super.quorum(timepoint);
        return Math.mulDiv(
            Math.sqrt(token().getPastTotalSupply(timepoint)),
            quorumNumerator(timepoint),
            quorumDenominator()
        );
    }

    /// @dev Counts `Math.sqrt(totalWeight)` instead of `totalWeight` when {quadratic}; the
    /// weight returned (and emitted in {VoteCast}) is the weight counted.
    function _countVote(
        uint256 proposalId,
        address account,
        uint8 support,
        uint256 totalWeight,
        bytes memory params
    ) internal override(Governor, GovernorCountingSimple) returns (uint256) {
        return super._countVote(
            proposalId, account, support, quadratic ? Math.sqrt(totalWeight) : totalWeight, params
        );
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
