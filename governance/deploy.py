"""Deploy an Atelier DAO: timelock, reputation, governor, registries, then hand over power.

Order: the timelock first (it owns the token and the registries), the token with the founding
grants, the governor (proposer and canceller on the timelock), the studio registry, the
provenance registry (its admin the timelock, its anchor role the operator), the revenue
splits and the releases (both owned by the timelock); finally the
deployer renounces its admin role, so from then on only proposals can change anything.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from atelier.governance.artifacts import abi, bytecode
from atelier.governance.tx import deploy as deploy_contract
from atelier.governance.tx import transact

if TYPE_CHECKING:
    from atelier.governance.accounts import Signer
    from atelier.governance.chain.base import Chain

#: Reputation is an 18-decimals ERC-20 underneath; users see whole points.
REPUTATION_UNIT = 10**18

#: How votes are weighed: "linear" one vote per unit of reputation; "quadratic" the integer
#: square root of the voter's reputation at the snapshot (StudioGovernor's ``quadratic``).
Counting = Literal["linear", "quadratic"]

_UINT64 = 2**64 - 1


class ReputationRuleSettings(BaseModel):
    """The reputation rule the registry starts with (``StudioRegistry.ReputationRule``);
    amounts in whole points, the defaults those of config.toml's ``[reputation]``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    per_prompt_rewrite: int = Field(20, ge=0, le=_UINT64)
    per_review: int = Field(2, ge=0, le=_UINT64)
    per_curation_vote: int = Field(1, ge=0, le=_UINT64)
    per_audit_proposal: int = Field(5, ge=0, le=_UINT64)
    cap_per_audit: int = Field(25, ge=0, le=_UINT64)
    decay_bps: int = Field(1000, ge=0, le=10_000)  # of a balance burnt per audit
    decay_floor: int = Field(10, ge=0, le=_UINT64)

    def as_struct(self) -> tuple[int, ...]:
        """The ``ReputationRule`` tuple, in the struct's field order."""
        return (self.per_prompt_rewrite, self.per_review, self.per_curation_vote,
                self.per_audit_proposal, self.cap_per_audit, self.decay_bps, self.decay_floor)


class RevenueRuleSettings(BaseModel):
    """The revenue rule RevenueSplits starts with: shares per contribution of each kind, the
    defaults those of config.toml's ``[revenue]``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    per_prompt_rewrite: int = Field(10, ge=0, le=_UINT64)
    per_review: int = Field(2, ge=0, le=_UINT64)
    per_curation_vote: int = Field(1, ge=0, le=_UINT64)
    per_audit_proposal: int = Field(5, ge=0, le=_UINT64)
    per_operator_work: int = Field(3, ge=0, le=_UINT64)

    def as_struct(self) -> tuple[int, ...]:
        """The ``RevenueRule`` tuple, in the struct's field order."""
        return (self.per_prompt_rewrite, self.per_review, self.per_curation_vote,
                self.per_audit_proposal, self.per_operator_work)


class DaoSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    voting_delay: int
    voting_period: int
    timelock_delay: int
    quorum_percent: int
    proposal_threshold: int  # in reputation points
    counting: Counting = "linear"
    reputation: ReputationRuleSettings = ReputationRuleSettings()
    revenue: RevenueRuleSettings = RevenueRuleSettings()
    #: Royalty on resales of released episodes (ERC-2981), in basis points, to the treasury.
    royalty_bps: int = Field(500, ge=0, le=10_000)


class Deployment(BaseModel):
    """Where a DAO lives; saved as deployment.json in the workspace (no secrets, no URLs)."""

    model_config = ConfigDict(frozen=True)

    chain_id: int
    chain_kind: str
    studio_name: str
    token: str
    timelock: str
    governor: str
    registry: str
    #: The ProvenanceRegistry; None in a workspace deployed before it existed.
    provenance: str | None = None
    #: RevenueSplits; None in a workspace deployed before it existed.
    revenue: str | None = None
    #: StudioReleases (episodes as ERC-721); None in a workspace deployed before it existed.
    releases: str | None = None
    deployer: str
    guardian: str
    block: int
    deployed_at: int
    settings: DaoSettings
    founding_members: dict[str, int]  # address -> reputation points

    @property
    def counting(self) -> Counting:
        """How the governor weighs votes (fixed at deployment)."""
        return self.settings.counting

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.model_dump(), indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Deployment:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))


Progress = Callable[[str], None]


def deploy_dao(
    chain: Chain,
    deployer: Signer,
    *,
    studio_name: str,
    settings: DaoSettings,
    grants: Mapping[str, int],
    guardian: str,
    progress: Progress = lambda _step: None,
    founding_prompts: Mapping[str, bytes] | None = None,
    token_contract: str = "Reputation",
    governor_contract: str = "StudioGovernor",
    anchorer: str | None = None,
) -> Deployment:
    """Deploy the seven contracts and wire their roles; ``grants`` maps address -> points,
    ``founding_prompts`` agent -> approved prompt hash (version 1 of each), ``anchorer`` the
    account that anchors provenance roots (the operator; None: the deployer).

    ``token_contract`` / ``governor_contract`` exist for the gas benchmark, which deploys
    plain OpenZeppelin reference contracts through this same path (those know only linear
    counting).
    """
    # StudioGovernor takes the counting as an 8th argument; the reference governor does not.
    counting_arg = _constructor_arity(governor_contract) == 8
    if not counting_arg and settings.counting != "linear":
        raise ValueError(f"{governor_contract} only counts votes linearly")
    w3 = chain.w3
    start_block = w3.eth.block_number + 1

    def factory(name: str):
        return w3.eth.contract(abi=abi(name), bytecode=bytecode(name))

    def address_of(receipt: dict) -> str:
        return str(receipt["contractAddress"])

    progress("deploying the timelock")
    timelock_address = address_of(deploy_contract(
        chain, deployer, factory("TimelockController"),
        settings.timelock_delay, [], ["0x0000000000000000000000000000000000000000"],
        deployer.address, action="deploying the timelock",
    ))
    progress("deploying the reputation token")
    holders = list(grants)
    token_address = address_of(deploy_contract(
        chain, deployer, factory(token_contract),
        f"{studio_name} Reputation", "REP", timelock_address, holders,
        [grants[h] * REPUTATION_UNIT for h in holders], action="deploying the reputation token",
    ))
    progress("deploying the governor")
    governor_args = [
        token_address, timelock_address, settings.voting_delay, settings.voting_period,
        settings.proposal_threshold * REPUTATION_UNIT, settings.quorum_percent, guardian,
    ]
    if counting_arg:
        governor_args.append(settings.counting == "quadratic")
    governor_address = address_of(deploy_contract(
        chain, deployer, factory(governor_contract), *governor_args,
        action="deploying the governor",
    ))
    progress("deploying the studio registry")
    prompts = dict(sorted((founding_prompts or {}).items()))
    registry_address = address_of(deploy_contract(
        chain, deployer, factory("StudioRegistry"), timelock_address, list(prompts),
        list(prompts.values()), settings.reputation.as_struct(),
        action="deploying the studio registry",
    ))

    progress("deploying the provenance registry")
    provenance_address = address_of(deploy_contract(
        chain, deployer, factory("ProvenanceRegistry"), timelock_address,
        anchorer or deployer.address, registry_address,
        action="deploying the provenance registry",
    ))

    progress("deploying the revenue splits")
    revenue_address = address_of(deploy_contract(
        chain, deployer, factory("RevenueSplits"), timelock_address,
        settings.revenue.as_struct(), action="deploying the revenue splits",
    ))

    progress("deploying the releases")
    releases_address = address_of(deploy_contract(
        chain, deployer, factory("StudioReleases"), timelock_address, provenance_address,
        revenue_address, settings.royalty_bps, action="deploying the releases",
    ))

    progress("handing the timelock to the governor")
    timelock = w3.eth.contract(address=timelock_address, abi=abi("TimelockController"))
    for role_getter in ("PROPOSER_ROLE", "CANCELLER_ROLE"):
        role = timelock.functions[role_getter]().call()
        transact(chain, deployer, timelock.functions.grantRole(role, governor_address),
                 action=f"granting the governor {role_getter}")
    admin_role = timelock.functions.DEFAULT_ADMIN_ROLE().call()
    transact(chain, deployer, timelock.functions.renounceRole(admin_role, deployer.address),
             action="renouncing the deployer's admin role")

    latest = w3.eth.get_block("latest")
    return Deployment(
        chain_id=w3.eth.chain_id,
        chain_kind=chain.kind,
        studio_name=studio_name,
        token=token_address,
        timelock=timelock_address,
        governor=governor_address,
        registry=registry_address,
        provenance=provenance_address,
        revenue=revenue_address,
        releases=releases_address,
        deployer=deployer.address,
        guardian=guardian,
        block=start_block,
        deployed_at=int(latest["timestamp"]) if latest else int(time.time()),
        settings=settings,
        founding_members=dict(grants),
    )


def _constructor_arity(contract: str) -> int:
    constructor = next((e for e in abi(contract) if e["type"] == "constructor"), None)
    return len(constructor["inputs"]) if constructor else 0
