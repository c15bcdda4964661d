// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC2981} from "@openzeppelin/contracts/token/common/ERC2981.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {ProvenanceRegistry} from "./ProvenanceRegistry.sol";
import {RevenueSplits} from "./RevenueSplits.sol";

/// @title StudioReleases
/// @notice Published episodes released as ERC-721 tokens. A release proposal mints one
/// anchored episode (by its provenance root) to the treasury (the timelock, the owner) at a
/// fixed price; anyone buys it for that price, which goes to the treasury, where the next
/// revenue split pays it out by contribution. Royalties (ERC-2981) go to the current split:
/// the latest PaymentSplitter (its payees claim them beside their share of the period), or
/// the treasury before any split exists.
/// @dev The metadata is read from the provenance registry, so it cannot disagree with it.
contract StudioReleases is ERC721, ERC2981, Ownable {
    /// @notice Where the released episodes' roots are anchored.
    ProvenanceRegistry public immutable provenance;

    /// @notice Whose latest split receives the royalties (address(0): the treasury does).
    RevenueSplits public immutable revenue;

    uint256 private _count;
    mapping(uint256 tokenId => bytes32 root) private _roots;
    mapping(uint256 tokenId => uint256 price) private _prices;
    mapping(bytes32 root => uint256 tokenId) private _tokenOf;

    /// @notice The root was never anchored in the provenance registry.
    error NotAnchored(bytes32 root);

    /// @notice The episode of this root is released already.
    error AlreadyReleased(bytes32 root, uint256 tokenId);

    /// @notice The treasury no longer holds this release (it was sold).
    error NotForSale(uint256 tokenId);

    /// @notice The payment is not the release's price.
    error WrongPrice(uint256 tokenId, uint256 price, uint256 paid);

    /// @notice An episode was released.
    event Released(uint256 indexed tokenId, bytes32 indexed root, uint256 price);

    /// @notice A release was sold by the treasury (its primary sale).
    event Sold(uint256 indexed tokenId, address indexed buyer, uint256 price);

    /// @param initialOwner The TimelockController: it releases, and it is paid.
    /// @param provenance_ The studio's provenance registry.
    /// @param revenue_ The studio's revenue splits (address(0): royalties to the treasury).
    /// @param royaltyBps Royalty on resales, in basis points, paid to the current split.
    constructor(address initialOwner, ProvenanceRegistry provenance_, RevenueSplits revenue_, uint96 royaltyBps)
        ERC721("Atelier Episodes", "EPISODE")
        Ownable(initialOwner)
    {
        provenance = provenance_;
        revenue = revenue_;
        _setDefaultRoyalty(initialOwner, royaltyBps);
    }

    /// @notice Release the episode anchored under `root`: mint it to the treasury, for sale.
    /// @return tokenId The release's token id (sequential from 1).
    function release(bytes32 root, uint256 price) external onlyOwner returns (uint256 tokenId) {
        if (provenance.recordOf(root).anchoredAt == 0) revert NotAnchored(root);
        if (_tokenOf[root] != 0) revert AlreadyReleased(root, _tokenOf[root]);
        tokenId = ++_count;
        _roots[tokenId] = root;
        _prices[tokenId] = price;
        _tokenOf[root] = tokenId;
        _mint(owner(), tokenId); // the timelock is no ERC721Receiver: a plain mint
        emit Released(tokenId, root, price);
    }

    /// @notice Buy a release from the treasury at its price; the ETH goes to the treasury.
    function buy(uint256 tokenId) external payable {
        address treasury = owner();
        if (_requireOwned(tokenId) != treasury) revert NotForSale(tokenId);
        if (msg.value != _prices[tokenId]) revert WrongPrice(tokenId, _prices[tokenId], msg.value);
        // The contract moves the treasury's token itself: the primary sale is its purpose.
        _transfer(treasury, msg.sender, tokenId);
        emit Sold(tokenId, msg.sender, msg.value);
        Address.sendValue(payable(treasury), msg.value);
    }

    /// @notice Number of releases so far (also the highest token id).
    function releaseCount() external view returns (uint256) {
        return _count;
    }

    /// @notice A release's provenance root and price.
    function releaseOf(uint256 tokenId) external view returns (bytes32 root, uint256 price) {
        _requireOwned(tokenId);
        return (_roots[tokenId], _prices[tokenId]);
    }

    /// @notice JSON metadata (a data: URI): the episode, its provenance root, the goal
    /// proposal and the prompt hashes in force, as the provenance registry records them.
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        bytes32 root = _roots[tokenId];
        ProvenanceRegistry.Record memory r = provenance.recordOf(root);
        bytes memory prompts;
        for (uint256 i = 0; i < r.agents.length; ++i) {
            prompts = abi.encodePacked(prompts, i == 0 ? "" : ",", '"', r.agents[i], '":"',
                Strings.toHexString(uint256(r.promptHashes[i]), 32), '"');
        }
        bytes memory json = abi.encodePacked(
            '{"name":"Episode ', Strings.toString(r.episode), " of run ", Strings.toString(r.run),
            '","provenance_root":"', Strings.toHexString(uint256(root), 32),
            '","goal_proposal":"', Strings.toString(r.goalProposalId),
            '","prompts":{', prompts, "}}"
        );
        return string.concat("data:application/json;base64,", Base64.encode(json));
    }

    /// @notice ERC-2981: the royalty goes to the current split (the latest splitter), so the
    /// contributors of the period last paid out share it; before the first split, to the
    /// treasury, whose income the first split pays out.
    function royaltyInfo(uint256 tokenId, uint256 salePrice) public view override returns (address, uint256) {
        (address receiver, uint256 amount) = super.royaltyInfo(tokenId, salePrice);
        if (address(revenue) != address(0)) {
            address current = revenue.currentSplit();
            if (current != address(0)) receiver = current;
        }
        return (receiver, amount);
    }

    /// @inheritdoc ERC721
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, ERC2981) returns (bool) {
        return super.supportsInterface(interfaceId);
    }
}
