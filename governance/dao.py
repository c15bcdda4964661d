"""The typed client of one deployed Atelier DAO, in the studio's words: goals and the
proposals that created them, approved prompt versions, audits; propose, vote, queue, execute
and cancel, with pre-flight checks that explain in words why something cannot happen.

The contracts stay the authority: a pre-flight ``Refusal`` only gives a better message
before anything is sent, and every revert that still happens is decoded by
``atelier.governance.tx``. Proposals are read through a ``ProposalIndex``, so a command
decodes only the events that are new since the last one.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address

from atelier.governance.artifacts import abi
from atelier.governance.ballots import ballot_for, relay_ballot
from atelier.governance.deploy import REPUTATION_UNIT, Deployment
from atelier.governance.goals import Goal, GoalSpec
from atelier.governance.messages import Explainer
from atelier.governance.proposal_index import ProposalIndex
from atelier.governance.proposal_state import ProposalState
from atelier.governance.proposals import Action, Proposal, ProposalStatus, Tally, Vote
from atelier.governance.refusals import Refusal, Refused
from atelier.governance.tx import transact
from atelier.kernel.durations import format_duration
from atelier.kernel.errors import AtelierError, NotFound
from atelier.kernel.text import clip_repr

if TYPE_CHECKING:
    from web3.types import TxReceipt

    from atelier.governance.accounts import Signer
    from atelier.governance.chain.base import Chain

Support = Literal["against", "for", "abstain"]
SUPPORT_CODES: dict[str, int] = {"against": 0, "for": 1, "abstain": 2}
SUPPORT_NAMES = {code: name for name, code in SUPPORT_CODES.items()}


#: States in which a proposal may have been queued (the others read an eta of 0).
_MAY_HAVE_ETA = (ProposalState.Queued, ProposalState.Executed, ProposalState.Canceled)


class ProposalNotFound(NotFound):
    """No proposal of that number, id or id prefix on this chain."""


class GoalUnavailable(AtelierError):
    """The goal does not exist, is not active, or no proposal on this chain carries its text."""


class StudioDAO:
    def __init__(
        self, chain: Chain, deployment: Deployment, *, names: Mapping[str, str] | None = None,
        index_path: Path | None = None,
    ) -> None:
        """``index_path``: where the proposal index is kept between sessions (a cache of
        the chain; None keeps it in memory for this session)."""
        self.chain = chain
        self.deployment = deployment
        self._names = {to_checksum_address(a): n for a, n in (names or {}).items()}
        self.explain = Explainer(self.name_of, self.number_of)
        self._index_path = index_path
        self._opened_index: ProposalIndex | None = None
        self._index_current = False

    # -- the contracts (built on first use: web3 takes ~20 ms to build each from its ABI) ---
    @cached_property
    def token(self) -> Any:
        return self.chain.w3.eth.contract(address=self.deployment.token, abi=abi("Reputation"))

    @cached_property
    def governor(self) -> Any:
        return self.chain.w3.eth.contract(address=self.deployment.governor,
                                          abi=abi("StudioGovernor"))

    @cached_property
    def timelock(self) -> Any:
        return self.chain.w3.eth.contract(address=self.deployment.timelock,
                                          abi=abi("TimelockController"))

    @cached_property
    def registry(self) -> Any:
        return self.chain.w3.eth.contract(address=self.deployment.registry,
                                          abi=abi("StudioRegistry"))

    @cached_property
    def provenance(self) -> Any:
        return self.chain.w3.eth.contract(address=self.deployment.provenance,
                                          abi=abi("ProvenanceRegistry"))

    @cached_property
    def revenue(self) -> Any:
        return self.chain.w3.eth.contract(address=self.deployment.revenue, abi=abi("RevenueSplits"))

    @cached_property
    def releases(self) -> Any:
        return self.chain.w3.eth.contract(address=self.deployment.releases,
                                          abi=abi("StudioReleases"))

    # -- naming -------------------------------------------------------------------------
    def name_of(self, address: str) -> str:
        address = to_checksum_address(address)
        if address == self.deployment.timelock:
            return "the timelock"
        return self._names.get(address, address)

    def number_of(self, proposal_id: int) -> str:
        proposal = self._index().by_id(proposal_id)
        return str(proposal.number) if proposal else f"{proposal_id:#x}"[:12] + "…"

    # -- time ---------------------------------------------------------------------------
    def now(self) -> int:
        """The timestamp the next block will carry (what a transaction sent now sees)."""
        w3 = self.chain.w3
        try:
            return int(w3.eth.get_block("pending")["timestamp"])
        except Exception:  # nodes without a pending block: latest or the wall clock
            return max(int(w3.eth.get_block("latest")["timestamp"]), int(time.time()))

    # -- reads --------------------------------------------------------------------------
    def reputation(self, address: str) -> int:
        """Current voting power, in whole reputation points."""
        return int(self.token.functions.getVotes(address).call()) // REPUTATION_UNIT

    def settings(self) -> dict[str, Any]:
        g = self.governor.functions
        return {
            "name": g.name().call(),
            "voting_delay": int(g.votingDelay().call()),
            "voting_period": int(g.votingPeriod().call()),
            "proposal_threshold": int(g.proposalThreshold().call()) // REPUTATION_UNIT,
            "quorum_percent": int(g.quorumNumerator().call()),
            "timelock_delay": int(self.timelock.functions.getMinDelay().call()),
            "guardian": g.proposalGuardian().call(),
            "clock_mode": g.CLOCK_MODE().call(),
            "total_reputation": int(self.token.functions.totalSupply().call()) // REPUTATION_UNIT,
        }

    def goals(self) -> list[Goal]:
        return [self._goal(goal_id) for goal_id in range(1, self.goal_count() + 1)]

    def goal_count(self) -> int:
        """Goals ever registered; their ids are 1..count."""
        return int(self.registry.functions.goalCount().call())

    def goal(self, goal_id: int) -> Goal:
        if not 0 < goal_id <= int(self.registry.functions.goalCount().call()):
            raise GoalUnavailable(f"there is no goal {goal_id}", hint="see `atelier goal list`")
        return self._goal(goal_id)

    def _goal(self, goal_id: int) -> Goal:
        raw = self.registry.functions.getGoal(goal_id).call()
        content_hash = bytes(raw[0])
        proposal = self._index().by_goal(content_hash)
        return Goal(
            id=goal_id, content_hash=content_hash, episodes=int(raw[1]),
            audit_every=int(raw[2]), token_budget=int(raw[3]), active=bool(raw[4]),
            spec=GoalSpec.from_description(proposal.description) if proposal else None,
            proposal=proposal.number if proposal else None,
        )

    def active_goal(self, goal_id: int) -> Goal:
        """Goal ``goal_id`` if production may go on with it: active, its text on the chain."""
        goal = self.goal(goal_id)
        if not goal.active:
            raise GoalUnavailable(f"goal {goal_id} is not active",
                                  hint="`atelier goal list` shows the active goals")
        if goal.spec is None:
            raise GoalUnavailable(
                f"goal {goal_id}'s text is not in any proposal on this chain",
                hint="goals are created by `atelier goal propose`, whose proposal carries "
                "the text",
            )
        return goal

    def approved_prompt(self, agent: str) -> tuple[bytes, int]:
        content_hash, version = self.registry.functions.approvedPrompt(agent).call()
        return bytes(content_hash), int(version)

    def approved_prompts(self, agents: Sequence[str]) -> dict[str, bytes]:
        """agent -> content hash of its approved prompt (32 zero bytes: none yet)."""
        return {agent: self.approved_prompt(agent)[0] for agent in agents}

    # -- proposals ------------------------------------------------------------------------
    def _index(self, *, again: bool = False) -> ProposalIndex:
        """The proposal index, brought up to the chain's head once per session (and again
        after this session proposed, or when ``again``)."""
        if self._opened_index is None:
            self._opened_index = ProposalIndex.open(self._index_path)
        if again or not self._index_current:
            try:
                self._refresh(self._opened_index)
            except sqlite3.Error:  # the file failed mid-way (locked, disk full): do without
                self._opened_index.close()
                self._opened_index = ProposalIndex.open(None)
                self._refresh(self._opened_index)
            self._index_current = True
        return self._opened_index

    def _refresh(self, index: ProposalIndex) -> None:
        index.refresh(self.chain, self.governor, chain_id=self.deployment.chain_id,
                      from_block=self.deployment.block)

    def close(self) -> None:
        if self._opened_index is not None:
            self._opened_index.close()
            self._opened_index = None

    def proposal_count(self) -> int:
        return self._index().count()

    def proposals(self, *, limit: int | None = None, offset: int = 0,
                  newest_first: bool = False) -> list[Proposal]:
        """Proposals in creation order (or newest first), optionally a page of them. Their
        actions carry no summaries; ``proposal()`` and ``described()`` add them."""
        return self._index().page(limit=limit, offset=offset, newest_first=newest_first)

    def proposals_carrying(self, text: str) -> list[Proposal]:
        """Proposals whose description contains ``text`` (say, a prompt hash)."""
        return self._index().carrying(text)

    def proposal(self, ref: str | int) -> Proposal:
        """A proposal by number (``7``), full id, or a hex id prefix (``0x1a2b``)."""
        text = str(ref).strip().lower()
        found = self._lookup(self._index(), text)
        if found is None:  # made by another process since this session read the chain?
            found = self._lookup(self._index(again=True), text)
        if found is None:
            raise ProposalNotFound(
                f"no proposal {clip_repr(ref)} (there are {self._index().count()})",
                hint="use the number shown by `atelier proposals list`",
            )
        return self.described(found)

    @staticmethod
    def _lookup(index: ProposalIndex, text: str) -> Proposal | None:
        if not text.isascii():  # "²" passes isdigit() but int() refuses it: ASCII digits only
            return None
        if text.isdigit() and len(text) <= 9:
            return index.by_number(int(text))
        if text.isdigit():  # a uint256 has at most 78 digits (and int() refuses 4,300+)
            return index.by_id(int(text)) if len(text) <= 78 else None
        if text.startswith("0x") and len(text) >= 6:
            matches = index.by_id_prefix(text)
            return matches[0] if len(matches) == 1 else None
        return None

    def votes(self, proposal: Proposal | None = None) -> list[Vote]:
        """Every vote cast on ``proposal`` (None: on any proposal), in order, with weight and
        reason."""
        votes = []
        start = proposal.block if proposal is not None else self.deployment.block
        for event_type in (self.governor.events.VoteCast, self.governor.events.VoteCastWithParams):
            event = event_type()
            for log in self.chain.get_logs(address=self.deployment.governor, topics=[event.topic],
                                           from_block=start):
                args = event.process_log(log)["args"]
                if proposal is not None and int(args["proposalId"]) != proposal.id:
                    continue
                votes.append(Vote(
                    voter=args["voter"], support=SUPPORT_NAMES[int(args["support"])],
                    weight=int(args["weight"]), reason=args["reason"],
                    block=int(log["blockNumber"]), log_index=int(log["logIndex"]),
                    proposal_id=int(args["proposalId"]),
                ))
        return sorted(votes, key=lambda v: (v.block, v.log_index))

    def status(self, proposal: Proposal) -> ProposalStatus:
        return self.statuses([proposal])[0]

    def statuses(self, proposals: Sequence[Proposal]) -> list[ProposalStatus]:
        """Where each proposal stands, the chain's clock read once for all of them."""
        now = self.now()
        latest = int(self.chain.w3.eth.get_block("latest")["timestamp"])
        g = self.governor.functions
        found = []
        for proposal in proposals:
            state = ProposalState(int(g.state(proposal.id).call()))
            tally, quorum, eta = Tally(0, 0, 0), 0, 0
            if state is not ProposalState.Pending:  # no votes before voting opens
                against, for_, abstain = g.proposalVotes(proposal.id).call()
                tally = Tally(int(against), int(for_), int(abstain))
            if proposal.vote_start < latest:  # the snapshot is in the past
                quorum = int(g.quorum(proposal.vote_start).call())
            if state in _MAY_HAVE_ETA:
                eta = int(g.proposalEta(proposal.id).call())
            found.append(ProposalStatus(proposal=proposal, state=state, tally=tally,
                                        quorum=quorum, eta=eta, now=now))
        return found

    def described(self, proposal: Proposal) -> Proposal:
        """``proposal`` with a readable summary of each action."""
        actions = tuple(
            Action(a.target, a.value, a.calldata, self.describe_call(a.target, a.calldata))
            for a in proposal.actions
        )
        return Proposal(**{**proposal.__dict__, "actions": actions})

    @cached_property
    def _contracts_by_address(self) -> dict[str, tuple[str, str]]:
        """address -> (contract name, attribute holding it)."""
        known = {
            self.deployment.registry: ("StudioRegistry", "registry"),
            self.deployment.token: ("Reputation", "token"),
            self.deployment.timelock: ("TimelockController", "timelock"),
            self.deployment.governor: ("StudioGovernor", "governor"),
        }
        if self.deployment.provenance:  # None in a workspace from before provenance
            known[self.deployment.provenance] = ("ProvenanceRegistry", "provenance")
        if self.deployment.revenue:  # likewise from before revenue splits
            known[self.deployment.revenue] = ("RevenueSplits", "revenue")
        return known

    def describe_call(self, target: str, calldata: bytes) -> str:
        known = self._contracts_by_address.get(to_checksum_address(target))
        if known is None or len(calldata) < 4:
            return f"call {target} with {len(calldata)} bytes"
        name, attribute = known
        contract = getattr(self, attribute)
        try:
            fn, args = contract.decode_function_input(calldata)
        except ValueError:
            return f"{name}: unknown call {calldata[:4].hex()}"
        shown = ", ".join(
            f"{k}={'0x' + v.hex() if isinstance(v, bytes) else self.name_of(v) if k in ('to', 'from', 'account') else v}"  # noqa: E501
            for k, v in args.items()
        )
        return f"{name}.{fn.fn_name}({shown})"

    # -- writes -------------------------------------------------------------------------
    def propose(self, signer: Signer, actions: Sequence[Action], description: str) -> Proposal:
        """Open a proposal; if the identical one exists, return it instead (idempotent)."""
        targets = [a.target for a in actions]
        values = [a.value for a in actions]
        calldatas = [a.calldata for a in actions]
        g = self.governor.functions
        from eth_utils import keccak

        proposal_id = int(
            g.hashProposal(targets, values, calldatas, keccak(text=description)).call()
        )
        if int(g.proposalSnapshot(proposal_id).call()) == 0:
            transact(
                self.chain, signer, g.propose(targets, values, calldatas, description),
                action=f"{self.name_of(signer.address)}'s proposal", explain=self.explain,
            )
            self._index_current = False
        return self.proposal(str(proposal_id))

    def registry_action(self, function: str, *args: Any) -> Action:
        """An action calling ``StudioRegistry.function(*args)`` through the timelock."""
        calldata = bytes.fromhex(self.registry.encode_abi(function, list(args))[2:])
        return Action(self.deployment.registry, 0, calldata,
                      self.describe_call(self.deployment.registry, calldata))

    def propose_goal(self, signer: Signer, spec: GoalSpec) -> Proposal:
        action = self.registry_action(
            "createGoal", spec.content_hash, spec.episodes, spec.audit_every, spec.token_budget
        )
        return self.propose(signer, [action], spec.description())

    def propose_prompts(
        self, signer: Signer, approved: Mapping[str, bytes], description: str
    ) -> Proposal:
        """Propose new approved prompt hashes (agent -> keccak256 of the prompt file); the
        description should carry the full texts so members can read what they approve."""
        return self.propose(signer, self._prompt_actions(approved), description)

    def _prompt_actions(self, approved: Mapping[str, bytes]) -> list[Action]:
        return [self.registry_action("setPromptHash", agent, content_hash)
                for agent, content_hash in sorted(approved.items())]

    def propose_audit(
        self, signer: Signer, *, run_key: bytes, index: int, report_hash: bytes,
        prompt_hashes: Mapping[str, bytes], description: str,
        reputation: Sequence[Action] = (),
    ) -> Proposal:
        """An audit checkpoint's proposal: executing it records the report's hash for audit
        ``index`` of the run ``run_key``, approves the new prompt hashes (agent -> hash) and
        makes the ``reputation`` calls (the token's decay burns and earned mints).
        ``description`` should carry the report and the full prompt texts. Idempotent."""
        actions = [self.registry_action("recordAudit", run_key, index, report_hash)]
        return self.propose(signer, [*actions, *self._prompt_actions(prompt_hashes),
                                     *reputation], description)

    def check_can_vote(self, voter: str, proposal: Proposal) -> None:
        """Raise a clear error if ``voter`` cannot vote on ``proposal`` right now."""
        status = self.status(proposal)
        who = self.name_of(voter)
        n = proposal.number
        if status.state is ProposalState.Pending:
            wait = proposal.vote_start + 1 - status.now
            raise Refused(
                f"voting on proposal {n} opens in {format_duration(wait)}",
                hint="on a local chain, `atelier chain advance` moves time forward",
                reason=Refusal.VotingNotOpen,
            )
        if status.state is not ProposalState.Active:
            ago = format_duration(status.now - proposal.vote_end)
            raise Refused(
                f"voting on proposal {n} closed {ago} ago; it is {status.state.name}",
                reason=Refusal.VotingClosed,
            )
        if self.governor.functions.hasVoted(proposal.id, voter).call():
            raise Refused(f"{who} already voted on proposal {n}", reason=Refusal.AlreadyVoted)
        weight = int(self.governor.functions.getVotes(voter, proposal.vote_start).call())
        if weight == 0:
            raise Refused(
                f"{who} had no voting power when proposal {n} opened",
                hint="reputation is earned through accepted contributions and counts from "
                "the proposal's snapshot on",
                reason=Refusal.NoVotingPower,
            )

    def vote(
        self, signer: Signer, proposal: Proposal, support: Support, reason: str | None = None
    ) -> TxReceipt:
        self.check_can_vote(signer.address, proposal)
        g = self.governor.functions
        code = SUPPORT_CODES[support]
        fn = g.castVoteWithReason(proposal.id, code, reason) if reason else g.castVote(
            proposal.id, code
        )
        return transact(
            self.chain, signer, fn, action=f"{self.name_of(signer.address)}'s vote",
            explain=self.explain,
        )

    def vote_by_signature(
        self,
        voter: Signer,
        relayer: Signer,
        proposal: Proposal,
        support: Support,
        reason: str | None = None,
    ) -> TxReceipt:
        """``voter`` signs an EIP-712 ballot off-chain; ``relayer`` submits it and pays gas."""
        self.check_can_vote(voter.address, proposal)
        code = SUPPORT_CODES[support]
        typed = ballot_for(self, proposal, voter.address, code, reason)
        signature = bytes(voter.account.sign_message(encode_typed_data(full_message=typed))
                          .signature)
        return relay_ballot(self, relayer, proposal, voter.address, code, signature, reason)

    def queue(self, signer: Signer, proposal: Proposal) -> TxReceipt | None:
        """Queue a succeeded proposal in the timelock; None if it is already queued."""
        status = self.status(proposal)
        if status.state in (ProposalState.Queued, ProposalState.Executed):
            return None
        if status.state is not ProposalState.Succeeded:
            raise Refused(self._state_problem(status, "queued", "Succeeded"),
                          reason=Refusal.NotSucceeded)
        return transact(self.chain, signer, self.governor.functions.queue(*proposal.call_args()),
                        action=f"queueing proposal {proposal.number}", explain=self.explain)

    def execute(self, signer: Signer, proposal: Proposal) -> TxReceipt | None:
        """Execute a queued proposal whose timelock delay is over; None if already executed."""
        status = self.status(proposal)
        if status.state is ProposalState.Executed:
            return None
        if status.state is ProposalState.Succeeded:
            raise Refused(
                f"proposal {proposal.number} passed but is not queued yet",
                hint=f"run `atelier queue {proposal.number}` first",
                reason=Refusal.NotQueuedYet,
            )
        if status.state is not ProposalState.Queued:
            raise Refused(self._state_problem(status, "executed", "Queued"),
                          reason=Refusal.NotQueued)
        if status.eta > status.now:
            raise Refused(
                f"proposal {proposal.number} is queued; the timelock delay ends in "
                f"{format_duration(status.eta - status.now)}",
                hint="on a local chain, `atelier chain advance` moves time forward",
                reason=Refusal.TimelockDelay,
            )
        return transact(self.chain, signer, self.governor.functions.execute(*proposal.call_args()),
                        action=f"executing proposal {proposal.number}", explain=self.explain)

    def cancel(self, signer: Signer, proposal: Proposal) -> TxReceipt:
        """Cancel: the proposer while it is pending, the ethics committee (guardian) any time
        before execution."""
        return transact(self.chain, signer, self.governor.functions.cancel(*proposal.call_args()),
                        action=f"cancelling proposal {proposal.number}", explain=self.explain)

    def _state_problem(self, status: ProposalStatus, verb: str, needed: str) -> str:
        n = status.proposal.number
        if status.state in (ProposalState.Pending, ProposalState.Active):
            left = format_duration(status.proposal.vote_end + 1 - status.now)
            return f"proposal {n} cannot be {verb} yet: voting is open for {left} more"
        reason = ""
        if status.state is ProposalState.Defeated:
            reason = " (quorum not reached)" if not status.quorum_reached else " (more against)"
        return f"proposal {n} cannot be {verb}: it is {status.state.name}{reason}, not {needed}"
