// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title ProvenanceRegistry
/// @notice Where the studio anchors what it published: one Merkle root per episode of a
/// production run, over the episode's files (pages, PDF, sheets, script, layout, reader
/// page), with the run, the goal's proposal and the prompt hashes in force. Anyone holding a
/// file and its proof can check it here. The timelock (an executed proposal) holds the admin
/// role and grants or revokes {ANCHOR_ROLE}; the studio's operator holds it from deployment.
/// @dev Leaves are OpenZeppelin StandardMerkleTree leaves of `(string path, bytes32 sha256)`:
/// `keccak256(bytes.concat(keccak256(abi.encode(path, sha256))))`, pairs hashed sorted, so
/// {MerkleProof} and OpenZeppelin's JS merkle-tree library verify the same proofs.
contract ProvenanceRegistry is AccessControl {
    /// @notice The role that may anchor roots (the studio's operator account).
    bytes32 public constant ANCHOR_ROLE = keccak256("ANCHOR_ROLE");

    /// @notice What an anchored root stands for.
    /// @param runKey The production run's id on the chain (unique across workspaces).
    /// @param run The run's number in the studio's workspace, for people.
    /// @param episode The episode (from 1).
    /// @param leafCount Files under the root.
    /// @param anchoredAt Block timestamp of the anchoring (zero: no record).
    /// @param goalProposalId The proposal that adopted the goal the run works on.
    /// @param agents The agents whose prompts made the episode, in `promptHashes` order.
    /// @param promptHashes Each agent's approved prompt hash in force.
    struct Record {
        bytes32 runKey;
        uint64 run;
        uint32 episode;
        uint32 leafCount;
        uint64 anchoredAt;
        uint256 goalProposalId;
        string[] agents;
        bytes32[] promptHashes;
    }

    /// @notice The studio's registry (goals, approved prompts), where prompt versions are read.
    address public immutable studioRegistry;

    mapping(bytes32 root => Record) private _records;
    mapping(bytes32 runKey => mapping(uint32 episode => bytes32 root)) private _roots;

    /// @notice The root was zero.
    error EmptyRoot();

    /// @notice A batch must hold at least one file.
    error EmptyBatch();

    /// @notice This root is already anchored (for `runKey`'s `episode`).
    error RootAlreadyAnchored(bytes32 root, bytes32 runKey, uint32 episode);

    /// @notice This episode of this run already has a root: one root per episode, ever.
    error EpisodeAlreadyAnchored(bytes32 runKey, uint32 episode, bytes32 root);

    /// @notice The agent and prompt-hash lists differ in length.
    error PromptListMismatch(uint256 agents, uint256 promptHashes);

    /// @notice An episode's root was anchored.
    event Anchored(
        bytes32 indexed root,
        bytes32 indexed runKey,
        uint32 indexed episode,
        uint64 run,
        uint32 leafCount,
        uint256 goalProposalId,
        string[] agents,
        bytes32[] promptHashes
    );

    /// @param admin The TimelockController: grants and revokes roles (by proposal).
    /// @param anchorer The operator account given {ANCHOR_ROLE} at deployment (zero: none).
    /// @param studioRegistry_ The studio's StudioRegistry.
    constructor(address admin, address anchorer, address studioRegistry_) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (anchorer != address(0)) _grantRole(ANCHOR_ROLE, anchorer);
        studioRegistry = studioRegistry_;
    }

    /// @notice Anchor the root of one episode's files (write-once per root and per episode).
    function anchor(
        bytes32 root,
        bytes32 runKey,
        uint64 run,
        uint32 episode,
        uint32 leafCount,
        uint256 goalProposalId,
        string[] calldata agents,
        bytes32[] calldata promptHashes
    ) external onlyRole(ANCHOR_ROLE) {
        if (root == bytes32(0)) revert EmptyRoot();
        if (leafCount == 0) revert EmptyBatch();
        if (agents.length != promptHashes.length) revert PromptListMismatch(agents.length, promptHashes.length);
        Record storage existing = _records[root];
        if (existing.anchoredAt != 0) revert RootAlreadyAnchored(root, existing.runKey, existing.episode);
        bytes32 previous = _roots[runKey][episode];
        if (previous != bytes32(0)) revert EpisodeAlreadyAnchored(runKey, episode, previous);
        _roots[runKey][episode] = root;
        Record storage record = _records[root];
        record.runKey = runKey;
        record.run = run;
        record.episode = episode;
        record.leafCount = leafCount;
        record.anchoredAt = uint64(block.timestamp);
        record.goalProposalId = goalProposalId;
        for (uint256 i = 0; i < agents.length; ++i) {
            record.agents.push(agents[i]); // calldata string[] cannot be copied to storage whole
        }
        record.promptHashes = promptHashes;
        emit Anchored(root, runKey, episode, run, leafCount, goalProposalId, agents, promptHashes);
    }

    /// @notice What `root` stands for (`anchoredAt` zero: it was never anchored here).
    function recordOf(bytes32 root) external view returns (Record memory) {
        return _records[root];
    }

    /// @notice The root anchored for `runKey`'s `episode`, or zero.
    function rootOf(bytes32 runKey, uint32 episode) external view returns (bytes32) {
        return _roots[runKey][episode];
    }

    /// @notice The StandardMerkleTree leaf of a file at `path` whose sha256 is `contentHash`.
    function leafOf(string calldata path, bytes32 contentHash) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(path, contentHash))));
    }

    /// @notice Whether the file (`path`, `contentHash`) is under the anchored `root`.
    function verifyAsset(
        bytes32 root,
        bytes32[] calldata proof,
        string calldata path,
        bytes32 contentHash
    ) external view returns (bool) {
        return _records[root].anchoredAt != 0 && MerkleProof.verifyCalldata(proof, root, leafOf(path, contentHash));
    }
}
