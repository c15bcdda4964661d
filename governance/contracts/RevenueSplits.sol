// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";
// OpenZeppelin 5 removed PaymentSplitter; 4.9's audited one is pinned through an npm alias.
import {PaymentSplitter} from "@openzeppelin/contracts-v4/finance/PaymentSplitter.sol";

/// @title RevenueSplits
/// @notice Pays the studio's income out by contribution. Holds the revenue rule (how many
/// shares each kind of contribution earns) and, when an executed split proposal calls
/// {split} with an income period's ETH, deploys one OpenZeppelin `PaymentSplitter` holding
/// that ETH, from which each payee pulls its due. Only the owner (the DAO's timelock) writes.
/// @dev The studio's contribution ledger (off-chain) applies the rule and proposes the payees
/// and shares; the splitter is deployed with CREATE2 (salt: the period's end) so its address
/// is known when the proposal is written. This contract never holds funds itself.
contract RevenueSplits is Ownable {
    using SafeERC20 for IERC20;

    /// @notice Shares per contribution of each kind (the ledger's kinds). Operator work is an
    /// episode published by the studio's operator (it ran the models and paid the gas); it
    /// earns shares of income but no reputation, so running compute never buys votes.
    struct RevenueRule {
        uint64 perPromptRewrite;
        uint64 perReview;
        uint64 perCurationVote;
        uint64 perAuditProposal;
        uint64 perOperatorWork;
    }

    /// @notice A split was asked to pay out no income (no ETH and no token amount).
    error EmptyIncome();

    /// @notice The token list and the amount list differ in length.
    error TokenListMismatch(uint256 tokens, uint256 amounts);

    /// @notice This income period (or a later one) was split already: periods end at strictly
    /// increasing ledger entries, so no contribution is paid twice.
    /// @param periodEnd The rejected period's last ledger entry.
    /// @param lastPeriodEnd The last ledger entry of the latest split.
    error PeriodAlreadySplit(uint64 periodEnd, uint64 lastPeriodEnd);

    /// @notice The revenue rule was set (at deployment, then by executed proposals).
    /// @param rule The new rule.
    event RevenueRuleChanged(RevenueRule rule);

    /// @notice An income period was split.
    /// @param index The split's index (from 0) in {splits}.
    /// @param periodEnd The last contribution ledger entry of the period.
    /// @param splitter The PaymentSplitter holding the period's income.
    /// @param income The ETH the splitter received, in wei.
    event Split(uint256 indexed index, uint64 periodEnd, address splitter, uint256 income);

    /// @notice A split also pays out an ERC-20 income.
    /// @param index The split's index in {splits}.
    /// @param token The ERC-20 token.
    /// @param amount The amount the splitter received.
    event SplitToken(uint256 indexed index, IERC20 indexed token, uint256 amount);

    RevenueRule private _rule;
    uint64 private _lastPeriodEnd;
    address[] private _splits;
    mapping(address splitter => IERC20[]) private _tokens;

    /// @param initialOwner The TimelockController; the only account that may write.
    /// @param initialRule The revenue rule in force from deployment.
    constructor(address initialOwner, RevenueRule memory initialRule) Ownable(initialOwner) {
        _setRevenueRule(initialRule);
    }

    /// @notice Pay an income period out: deploy a PaymentSplitter with the ETH sent and pull
    /// each ERC-20 income from the caller (the timelock approves this contract first, in the
    /// same proposal).
    /// @param periodEnd The period's last contribution ledger entry; must exceed the last
    /// split's ({PeriodAlreadySplit}).
    /// @param payees Who is paid; PaymentSplitter rejects an empty list, a zero address, a
    /// payee listed twice, and lengths that differ from `shares`.
    /// @param shares Each payee's shares (non-zero).
    /// @param tokens ERC-20 incomes paid out too (may be empty).
    /// @param amounts The amount of each token.
    /// @return splitter The new splitter's address (as {splitAddress} predicted).
    function split(
        uint64 periodEnd,
        address[] calldata payees,
        uint256[] calldata shares,
        IERC20[] calldata tokens,
        uint256[] calldata amounts
    ) external payable onlyOwner returns (address splitter) {
        if (tokens.length != amounts.length) revert TokenListMismatch(tokens.length, amounts.length);
        bool income = msg.value > 0;
        for (uint256 i = 0; i < amounts.length; ++i) {
            income = income || amounts[i] > 0;
        }
        if (!income) revert EmptyIncome();
        if (periodEnd <= _lastPeriodEnd) revert PeriodAlreadySplit(periodEnd, _lastPeriodEnd);
        _lastPeriodEnd = periodEnd;
        splitter = address(new PaymentSplitter{salt: bytes32(uint256(periodEnd)), value: msg.value}(payees, shares));
        _splits.push(splitter);
        uint256 index = _splits.length - 1;
        emit Split(index, periodEnd, splitter, msg.value);
        for (uint256 i = 0; i < tokens.length; ++i) {
            tokens[i].safeTransferFrom(msg.sender, splitter, amounts[i]);
            _tokens[splitter].push(tokens[i]);
            emit SplitToken(index, tokens[i], amounts[i]);
        }
    }

    /// @notice Where {split} will deploy the splitter of these arguments.
    function splitAddress(uint64 periodEnd, address[] calldata payees, uint256[] calldata shares)
        external
        view
        returns (address)
    {
        bytes32 initCode = keccak256(abi.encodePacked(type(PaymentSplitter).creationCode, abi.encode(payees, shares)));
        return Create2.computeAddress(bytes32(uint256(periodEnd)), initCode);
    }

    /// @notice Replace the revenue rule.
    function setRevenueRule(RevenueRule calldata rule) external onlyOwner {
        _setRevenueRule(rule);
    }

    /// @notice The revenue rule in force.
    function revenueRule() external view returns (RevenueRule memory) {
        return _rule;
    }

    /// @notice The last contribution ledger entry already paid out (0: none yet).
    function lastPeriodEnd() external view returns (uint64) {
        return _lastPeriodEnd;
    }

    /// @notice Every splitter deployed so far, oldest first.
    function splits() external view returns (address[] memory) {
        return _splits;
    }

    /// @notice The latest splitter (address(0) before the first split): where the studio's
    /// releases send their royalties.
    function currentSplit() external view returns (address) {
        uint256 count = _splits.length;
        return count == 0 ? address(0) : _splits[count - 1];
    }

    /// @notice The ERC-20 tokens a splitter was paid in (besides its ETH).
    function splitTokens(address splitter) external view returns (IERC20[] memory) {
        return _tokens[splitter];
    }

    function _setRevenueRule(RevenueRule memory rule) private {
        _rule = rule;
        emit RevenueRuleChanged(rule);
    }
}
