// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title StudioRegistry
/// @notice The studio's on-chain record of what the DAO decided: production goals, the
/// approved prompt of each agent, the audit reports of production runs, and the rule by
/// which members earn and lose reputation. Only the owner (the DAO's TimelockController,
/// i.e. an executed proposal) writes; anyone reads.
/// @dev The registry stores hashes, never text: proposal descriptions carry the full texts
/// (goal brief, prompt files, audit report), the registry pins their content hashes.
contract StudioRegistry is Ownable {
    /// @notice A production goal adopted by the DAO.
    /// @param contentHash Hash of the goal's brief (the text lives in the proposal description).
    /// @param episodes Number of episodes to produce.
    /// @param auditEvery Run an audit checkpoint every this many episodes (1..episodes).
    /// @param tokenBudget Model-token budget allotted to the goal.
    /// @param active Whether production may run against this goal.
    struct Goal {
        bytes32 contentHash;
        uint32 episodes;
        uint32 auditEvery;
        uint256 tokenBudget;
        bool active;
    }

    /// @dev An agent's approved prompt; `version` counts approvals for that agent from 1.
    struct Prompt {
        bytes32 contentHash;
        uint64 version;
    }

    /// @dev An audit report pinned for one checkpoint of one run.
    struct Audit {
        bytes32 reportHash;
        uint64 recordedAt;
    }

    /// @notice How members earn reputation and how it decays. The studio's contribution
    /// ledger (off-chain) applies it and proposes the resulting mints and burns, which the
    /// DAO votes on; the rule itself changes only by an executed proposal.
    /// Amounts are whole reputation points (minting applies the token's 18 decimals).
    /// @param perPromptRewrite Points for an approved prompt rewrite.
    /// @param perReview Points per review.
    /// @param perCurationVote Points per curation vote.
    /// @param perAuditProposal Points for an audit proposal.
    /// @param capPerAudit Most points one member earns per audit (all sources together).
    /// @param decayBps Share of a balance burnt at each audit, in basis points (0..10000;
    /// 100 = 1%).
    /// @param decayFloor Decay never takes a balance below this many points.
    struct ReputationRule {
        uint64 perPromptRewrite;
        uint64 perReview;
        uint64 perCurationVote;
        uint64 perAuditProposal;
        uint64 capPerAudit;
        uint16 decayBps;
        uint64 decayFloor;
    }

    /// @notice A content hash (goal brief, prompt, or audit report) was zero.
    error EmptyContentHash();

    /// @notice Goal parameters are invalid: `episodes` is zero, `auditEvery` is zero, or
    /// `auditEvery` exceeds `episodes`.
    /// @param episodes The rejected episode count.
    /// @param auditEvery The rejected audit interval.
    error InvalidGoalParameters(uint32 episodes, uint32 auditEvery);

    /// @notice No goal has id `goalId` (ids run from 1 to {goalCount}).
    /// @param goalId The unknown goal id.
    error GoalNotFound(uint256 goalId);

    /// @notice The agent name was empty.
    error EmptyAgentName();

    /// @notice An audit report is already recorded for this run and checkpoint.
    /// @param runId The production run.
    /// @param index The audit checkpoint within the run.
    error AuditAlreadyRecorded(bytes32 runId, uint32 index);

    /// @notice A reputation rule's `decayBps` exceeds 10000 (100%).
    /// @param decayBps The rejected decay, in basis points.
    error InvalidReputationRule(uint16 decayBps);

    /// @notice A production goal was created (active).
    /// @param goalId The new goal's id.
    /// @param contentHash Hash of the goal's brief.
    /// @param episodes Number of episodes to produce.
    /// @param auditEvery Audit checkpoint interval, in episodes.
    /// @param tokenBudget Model-token budget allotted to the goal.
    event GoalCreated(uint256 indexed goalId, bytes32 contentHash, uint32 episodes, uint32 auditEvery, uint256 tokenBudget);

    /// @notice A goal's model-token budget was set (a budget proposal).
    /// @param goalId The goal's id.
    /// @param tokenBudget The goal's new budget.
    event GoalBudgetChanged(uint256 indexed goalId, uint256 tokenBudget);

    /// @notice A goal was activated or paused (emitted on every call, even if unchanged).
    /// @param goalId The goal's id.
    /// @param active The goal's new status.
    event GoalStatusChanged(uint256 indexed goalId, bool active);

    /// @notice An agent's prompt was approved.
    /// @param agent The agent's name (e.g. "scriptwriter").
    /// @param contentHash Hash of the approved prompt file.
    /// @param version The agent's prompt version, counting from 1.
    event PromptApproved(string agent, bytes32 indexed contentHash, uint64 version);

    /// @notice An audit report was recorded.
    /// @param runId The production run.
    /// @param index The audit checkpoint within the run.
    /// @param reportHash Hash of the audit report.
    event AuditRecorded(bytes32 indexed runId, uint32 indexed index, bytes32 reportHash);

    /// @notice The reputation rule was set (at deployment, then by executed proposals;
    /// emitted on every call, even if unchanged).
    /// @param rule The new rule.
    event ReputationRuleChanged(ReputationRule rule);

    /// @notice Largest `decayBps`: the whole balance (down to `decayFloor`).
    uint16 public constant MAX_DECAY_BPS = 10_000;

    uint256 private _goalCount;
    mapping(uint256 goalId => Goal) private _goals;
    mapping(bytes32 agentKey => Prompt) private _prompts;
    mapping(bytes32 runId => mapping(uint32 index => Audit)) private _audits;
    ReputationRule private _reputationRule;

    // Room for later registries, each owned by the timelock like this one (not built yet):
    // - provenance: Merkle roots of published asset batches (batch id => root, recorded at),
    //   so anyone can prove an asset came out of a governed run;
    // - revenue split: payees and their shares of the studio's income, paid from the treasury.

    /// @notice The founding prompts were given with mismatched list lengths.
    error FoundingPromptsMismatch(uint256 agents, uint256 contentHashes);

    /// @param initialOwner The TimelockController; the only account that may write.
    /// @param agents Agents whose founding prompt is approved at deployment (may be empty).
    /// @param contentHashes The founding prompt hash of each agent, as version 1. Like the
    /// founding members' reputation, the founding prompts are part of the deployment; every
    /// later version needs a proposal.
    /// @param initialRule The reputation rule in force from deployment; reverts
    /// {InvalidReputationRule} if its `decayBps` exceeds 10000. Later rules need a proposal.
    constructor(
        address initialOwner,
        string[] memory agents,
        bytes32[] memory contentHashes,
        ReputationRule memory initialRule
    ) Ownable(initialOwner) {
        if (agents.length != contentHashes.length) {
            revert FoundingPromptsMismatch(agents.length, contentHashes.length);
        }
        for (uint256 i = 0; i < agents.length; ++i) {
            _approvePrompt(agents[i], contentHashes[i]);
        }
        _setReputationRule(initialRule);
    }

    // ------------------------------------------------------------------ goals

    /// @notice Create a production goal; it starts active.
    /// @param contentHash Hash of the goal's brief; must be non-zero.
    /// @param episodes Number of episodes to produce; must be non-zero.
    /// @param auditEvery Audit checkpoint interval, in episodes; 1..episodes.
    /// @param tokenBudget Model-token budget allotted to the goal.
    /// @return goalId The new goal's id; ids are sequential from 1.
    function createGoal(
        bytes32 contentHash,
        uint32 episodes,
        uint32 auditEvery,
        uint256 tokenBudget
    ) external onlyOwner returns (uint256 goalId) {
        if (contentHash == bytes32(0)) revert EmptyContentHash();
        if (episodes == 0 || auditEvery == 0 || auditEvery > episodes) {
            revert InvalidGoalParameters(episodes, auditEvery);
        }
        goalId = ++_goalCount;
        _goals[goalId] = Goal({
            contentHash: contentHash,
            episodes: episodes,
            auditEvery: auditEvery,
            tokenBudget: tokenBudget,
            active: true
        });
        emit GoalCreated(goalId, contentHash, episodes, auditEvery, tokenBudget);
    }

    /// @notice Activate or pause a goal.
    /// @param goalId The goal's id; reverts {GoalNotFound} if unknown.
    /// @param active The goal's new status.
    function setGoalActive(uint256 goalId, bool active) external onlyOwner {
        _requireGoal(goalId);
        _goals[goalId].active = active;
        emit GoalStatusChanged(goalId, active);
    }

    /// @notice Set a goal's model-token budget: what its runs may spend on model calls.
    /// @param goalId The goal's id; reverts {GoalNotFound} if unknown.
    /// @param tokenBudget The goal's new budget, in model tokens.
    function setGoalBudget(uint256 goalId, uint256 tokenBudget) external onlyOwner {
        _requireGoal(goalId);
        _goals[goalId].tokenBudget = tokenBudget;
        emit GoalBudgetChanged(goalId, tokenBudget);
    }

    /// @notice Number of goals created so far (also the highest goal id).
    /// @return The goal count.
    function goalCount() external view returns (uint256) {
        return _goalCount;
    }

    /// @notice A goal by id.
    /// @param goalId The goal's id; reverts {GoalNotFound} if unknown.
    /// @return The goal.
    function getGoal(uint256 goalId) external view returns (Goal memory) {
        _requireGoal(goalId);
        return _goals[goalId];
    }

    // ---------------------------------------------------------------- prompts

    /// @notice Approve a new prompt for an agent; the agent's version increments (from 1).
    /// @param agent The agent's name; must be non-empty. Names are compared byte for byte.
    /// @param contentHash Hash of the approved prompt file; must be non-zero.
    function setPromptHash(string calldata agent, bytes32 contentHash) external onlyOwner {
        _approvePrompt(agent, contentHash);
    }

    function _approvePrompt(string memory agent, bytes32 contentHash) private {
        if (bytes(agent).length == 0) revert EmptyAgentName();
        if (contentHash == bytes32(0)) revert EmptyContentHash();
        Prompt storage prompt = _prompts[keccak256(bytes(agent))];
        uint64 version = prompt.version + 1;
        prompt.contentHash = contentHash;
        prompt.version = version;
        emit PromptApproved(agent, contentHash, version);
    }

    /// @notice The approved prompt of an agent.
    /// @param agent The agent's name.
    /// @return contentHash Hash of the approved prompt file, or zero if none was approved.
    /// @return version The agent's prompt version, or zero if none was approved.
    function approvedPrompt(string calldata agent) external view returns (bytes32 contentHash, uint64 version) {
        Prompt storage prompt = _prompts[keccak256(bytes(agent))];
        return (prompt.contentHash, prompt.version);
    }

    // ----------------------------------------------------------------- audits

    /// @notice Record the audit report of one checkpoint of a production run (write-once).
    /// @param runId The production run.
    /// @param index The audit checkpoint within the run.
    /// @param reportHash Hash of the audit report; must be non-zero.
    function recordAudit(bytes32 runId, uint32 index, bytes32 reportHash) external onlyOwner {
        if (reportHash == bytes32(0)) revert EmptyContentHash();
        Audit storage audit = _audits[runId][index];
        if (audit.recordedAt != 0) revert AuditAlreadyRecorded(runId, index);
        audit.reportHash = reportHash;
        audit.recordedAt = uint64(block.timestamp);
        emit AuditRecorded(runId, index, reportHash);
    }

    /// @notice The audit report recorded for one checkpoint of a production run.
    /// @param runId The production run.
    /// @param index The audit checkpoint within the run.
    /// @return reportHash Hash of the audit report, or zero if none was recorded.
    /// @return recordedAt Block timestamp of the recording, or zero if none was recorded.
    function auditRecord(bytes32 runId, uint32 index) external view returns (bytes32 reportHash, uint64 recordedAt) {
        Audit storage audit = _audits[runId][index];
        return (audit.reportHash, audit.recordedAt);
    }

    // ------------------------------------------------------------- reputation

    /// @notice Replace the reputation rule.
    /// @param rule The new rule; reverts {InvalidReputationRule} if `decayBps` exceeds 10000.
    function setReputationRule(ReputationRule calldata rule) external onlyOwner {
        _setReputationRule(rule);
    }

    /// @notice The reputation rule in force.
    /// @return The rule.
    function reputationRule() external view returns (ReputationRule memory) {
        return _reputationRule;
    }

    function _setReputationRule(ReputationRule memory rule) private {
        if (rule.decayBps > MAX_DECAY_BPS) revert InvalidReputationRule(rule.decayBps);
        _reputationRule = rule;
        emit ReputationRuleChanged(rule);
    }

    function _requireGoal(uint256 goalId) private view {
        if (goalId == 0 || goalId > _goalCount) revert GoalNotFound(goalId);
    }
}
