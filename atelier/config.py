"""config.toml: the studio's settings, validated so every mistake names its key and fix.

Loading never raises anything but ``ConfigError``; each message is one line per problem:
``config.toml: [chain] rpc_url = 'htp://x': URL scheme should be 'http' or 'https'``.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AnyUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    UrlConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from atelier.agents import AGENTS
from atelier.agents.models.settings import ModelSettings, Provider, check_provider
from atelier.agents.readability import ReadabilitySettings
from atelier.kernel.durations import parse_duration
from atelier.kernel.errors import ConfigError
from atelier.kernel.text import clip, clip_repr
from atelier.pictures.settings import PicturesSettings

DEFAULT_CONFIG_NAME = "config.toml"

#: Seconds, written in config as "90s", "15m", "2h", "1d" or a plain integer.
Duration = Annotated[int, BeforeValidator(parse_duration)]
HttpUrlText = Annotated[
    AnyUrl, UrlConstraints(allowed_schemes=["http", "https"], host_required=True)
]
AccountName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
#: What Linux and macOS hold: a whole path, and one name in it, in bytes.
PATH_MAX, NAME_MAX = 4096, 255


def os_path(value: str) -> str:
    """A folder path the operating system can hold (checked here, so a too-long value is a
    config error naming its key rather than an OSError from the first mkdir)."""
    if not value.strip():
        raise ValueError("the path is empty; give a folder, e.g. '.atelier'")
    if "\0" in value:
        raise ValueError("a path cannot hold a NUL character")
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > PATH_MAX:
        raise ValueError(f"the path is {size:,} bytes long; the system allows {PATH_MAX:,}")
    longest = max(Path(value).parts, key=lambda part: len(part.encode("utf-8", "replace")))
    if len(longest.encode("utf-8", "replace")) > NAME_MAX:
        raise ValueError(f"the name {clip_repr(longest, 40)} is longer than the {NAME_MAX} "
                         "bytes a file or folder name may have")
    return value


OsPath = Annotated[str, AfterValidator(os_path)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StudioConfig(_Section):
    name: Annotated[str, Field(min_length=1, max_length=80)] = "Atelier Studio"


class WorkspaceConfig(_Section):
    #: Folder holding all state of one studio; relative paths are relative to config.toml.
    path: OsPath = ".atelier"


class PromptsConfig(_Section):
    #: Folder of the working prompt files (<agent>.prompty); relative to config.toml.
    dir: OsPath = "prompts"


class ChainConfig(_Section):
    #: "embedded": an in-process EVM saved in the workspace. "rpc": any JSON-RPC node.
    kind: Literal["embedded", "rpc"] = "embedded"
    rpc_url: HttpUrlText | None = None
    #: "dev": the named local dev accounts (embedded EVM, anvil). "keystore": encrypted
    #: key files in <workspace>/keystore, passphrase from ATELIER_PASSPHRASE or a prompt.
    accounts: Literal["dev", "keystore"] = "dev"
    request_timeout: Duration = 30
    #: How long a command waits for another command that holds the workspace chain.
    lock_timeout: Duration = 30

    @model_validator(mode="after")
    def _rpc_needs_url(self) -> ChainConfig:
        if self.kind == "rpc" and self.rpc_url is None:
            raise ValueError("kind = 'rpc' needs rpc_url, e.g. rpc_url = 'http://127.0.0.1:8545'")
        if self.kind == "embedded" and self.accounts != "dev":
            raise ValueError("the embedded chain only has dev accounts; set accounts = 'dev'")
        return self


class GovernanceConfig(_Section):
    """Governor settings used when `atelier init` deploys the DAO."""

    voting_delay: Duration = 60
    voting_period: Duration = 2 * 86400
    timelock_delay: Duration = 3600
    quorum_percent: Annotated[int, Field(ge=1, le=100)] = 25
    #: Reputation a member needs to open a proposal.
    proposal_threshold: Annotated[int, Field(ge=0)] = 0
    #: The ethics committee: a dev account name or a 0x address. It may cancel proposals.
    guardian: str = "ethics"
    #: How votes are weighed: "linear" (one vote per reputation point) or "quadratic" (the
    #: square root of the voter's reputation, so a whale's weight grows slowly). Fixed when
    #: the DAO is deployed.
    counting: Literal["linear", "quadratic"] = "linear"

    @model_validator(mode="after")
    def _period_positive(self) -> GovernanceConfig:
        if self.voting_period == 0:
            raise ValueError("voting_period must be longer than 0 s, e.g. '1d'")
        return self


#: Reputation amounts are whole points; the registry stores them as uint64.
Points = Annotated[int, Field(ge=0, le=2**64 - 1)]


class ReputationConfig(_Section):
    """The reputation rule the DAO starts with (it lives on-chain in the registry after
    `atelier init`; changing it later needs a governance proposal)."""

    per_prompt_rewrite: Points = 20
    per_review: Points = 2
    per_curation_vote: Points = 1
    per_audit_proposal: Points = 5
    #: Most reputation one member earns per audit, all sources together.
    cap_per_audit: Points = 25
    #: Share of a member's reputation burnt at each audit (0..100, to 0.01%).
    decay_percent: Annotated[float, Field(ge=0, le=100)] = 10.0
    #: Decay never takes a balance below this.
    decay_floor: Points = 10

    @field_validator("decay_percent")
    @classmethod
    def _whole_basis_points(cls, value: float) -> float:
        if abs(value * 100 - round(value * 100)) > 1e-6:
            raise ValueError("decay_percent is kept in basis points: use at most two decimals, "
                             "e.g. 2.5")
        return value

    @property
    def decay_bps(self) -> int:
        """``decay_percent`` in basis points (10% -> 1000), as the registry stores it."""
        return round(self.decay_percent * 100)


class RevenueConfig(_Section):
    """The revenue rule the DAO starts with: shares of the treasury's income per contribution
    of each kind (on-chain in RevenueSplits after `atelier init`; changed by proposal)."""

    per_prompt_rewrite: Points = 10
    per_review: Points = 2
    per_curation_vote: Points = 1
    per_audit_proposal: Points = 5
    #: An episode published by the operator's run (revenue only: it earns no reputation).
    per_operator_work: Points = 3


class StorageConfig(_Section):
    """Where runs, episodes, assets, audits, the model-call log and run checkpoints live."""

    #: Empty: SQLite files in the workspace. Or a PostgreSQL URL for shared deployments,
    #: "postgresql://user@host:5432/atelier" (the password may come from PGPASSWORD).
    url: str = ""

    @field_validator("url")
    @classmethod
    def _postgres_or_empty(cls, value: str) -> str:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError(
                "use a PostgreSQL URL such as 'postgresql://user@localhost:5432/atelier', "
                "or leave it empty for SQLite in the workspace"
            )
        return value


class WorkflowConfig(_Section):
    """How a production run schedules its work."""

    #: Character sheets designed at the same time (one LangGraph branch per character).
    max_concurrency: Annotated[int, Field(ge=1, le=32)] = 4
    #: The account that opens a run's audit proposals (it needs the proposal threshold).
    operator: AccountName = "deployer"


class CurationConfig(_Section):
    """Members choose among the variants an agent offers."""

    #: Outline variants the scriptwriter writes per episode; 1 turns curation off.
    variants: Annotated[int, Field(ge=1, le=5)] = 3
    #: How long a ballot stays open on the chain clock (it closes early once every member
    #: has voted).
    window: Duration = 86400

    @field_validator("window")
    @classmethod
    def _window_positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("window must be longer than 0 s, e.g. '1d'")
        return value


class AuditConfig(_Section):
    """What an audit does with the members' reviews."""

    #: The editor agent drafts a rewrite of an agent whose mean rating in the audit window is
    #: below this (1..5), or whose reviews' comments ask for changes; 0 turns the editor off.
    rewrite_below: Annotated[float, Field(ge=0, le=5)] = 3.0


class ServiceConfig(_Section):
    """`atelier serve`: the studio acting on the DAO's decisions by itself."""

    #: How often the service reads the chain and the store for what changed.
    poll_interval: Duration = 5
    #: Runs driven at the same time (each in its own thread; a run is never driven twice).
    max_runs: Annotated[int, Field(ge=1, le=16)] = 1
    #: The HTTP address of /healthz, /status and /metrics. Anything but loopback also needs
    #: an auth token (the environment variable named by auth_token_env).
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8765
    auth_token_env: Annotated[str, Field(min_length=1, max_length=80)] = "ATELIER_SERVE_TOKEN"

    @field_validator("poll_interval")
    @classmethod
    def _poll_positive(cls, value: int) -> int:
        if not 0 < value <= 3600:
            raise ValueError("poll_interval must be between 1 s and 1 h, e.g. '5s'")
        return value


class AgentSettings(_Section):
    """Per-agent choices; the prompt file's front matter may still name a provider/model."""

    #: Use another provider than [models] provider for this agent.
    provider: Provider | None = None
    #: Model calls per output before the agent gives up (the problems are fed back each time).
    max_attempts: Annotated[int, Field(ge=1, le=6)] = 3


class Config(_Section):
    studio: StudioConfig = StudioConfig()
    workspace: WorkspaceConfig = WorkspaceConfig()
    prompts: PromptsConfig = PromptsConfig()
    chain: ChainConfig = ChainConfig()
    governance: GovernanceConfig = GovernanceConfig()
    models: ModelSettings = ModelSettings()
    storage: StorageConfig = StorageConfig()
    workflow: WorkflowConfig = WorkflowConfig()
    curation: CurationConfig = CurationConfig()
    audit: AuditConfig = AuditConfig()
    service: ServiceConfig = ServiceConfig()
    #: When model-written text is sent back to the model, and what the review reports.
    readability: ReadabilitySettings = ReadabilitySettings()
    reputation: ReputationConfig = ReputationConfig()
    revenue: RevenueConfig = RevenueConfig()
    #: Who paints the panels: the drawn staging (offline) or an OpenAI-compatible images API.
    pictures: PicturesSettings = PicturesSettings()
    agents: dict[str, AgentSettings] = Field(default_factory=dict)
    #: Founding members and their initial reputation, granted when the DAO is deployed.
    members: dict[AccountName, Annotated[int, Field(gt=0)]] = Field(
        default_factory=lambda: {"alice": 100, "bob": 100, "carol": 100}
    )

    @model_validator(mode="after")
    def _has_members(self) -> Config:
        if not self.members:
            raise ValueError("[members] needs at least one founding member, e.g. alice = 100")
        unknown = sorted(set(self.agents) - set(AGENTS))
        if unknown:
            raise ValueError(f"[agents] has no agent {clip_repr(unknown[0])}; agents: "
                             f"{', '.join(AGENTS)}")
        for name, settings in self.agents.items():
            try:
                check_provider(settings.provider, self.models.plugins)
            except ValueError as exc:
                raise ValueError(f"[agents.{name}] provider = {settings.provider!r}: {exc}"
                                 ) from None
        return self

    @model_validator(mode="after")
    def _model_file_fits(self) -> Config:
        # [models.local] is agents' settings model (it keeps a Path); the bound the system
        # puts on a path is checked here, with the others, so a run never meets an OSError.
        gguf = self.models.local.gguf
        if gguf is not None:
            try:
                os_path(str(gguf))
            except ValueError as exc:
                raise ValueError(f"[models.local] gguf = {clip_repr(str(gguf))}: {exc}"
                                 ) from None
        return self

    def agent(self, name: str) -> AgentSettings:
        return self.agents.get(name, AgentSettings())

    def models_for(self, name: str) -> ModelSettings:
        """[models] with this agent's provider override applied."""
        provider = self.agent(name).provider
        return self.models if provider is None else self.models.model_copy(
            update={"provider": provider})


def load_config(path: Path) -> Config:
    """Read and validate ``path``; every failure is a ``ConfigError`` naming the key."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{clip(path)}: config file not found",
            hint="run atelier from the folder holding config.toml, or pass --config PATH",
        ) from None
    except OSError as exc:
        raise ConfigError(f"{clip(path)}: cannot read config file ({exc.strerror})") from None
    except ValueError:  # a NUL in the path: no file can have that name
        raise ConfigError(f"{clip_repr(str(path))}: not a file name (it holds a NUL)",
                          hint="pass --config PATH with the path of config.toml") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{clip(path)}: not UTF-8 text", hint="save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{clip(path)}: invalid TOML: {exc}",
            hint="check quoting and brackets on that line (strings need quotes)",
        ) from None
    return config_from_dict(data, source=clip(path))


def config_from_dict(data: dict[str, Any], *, source: str = DEFAULT_CONFIG_NAME) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        lines = [_describe(error, data, source) for error in exc.errors()]
        raise ConfigError(
            "\n".join(lines), hint=f"fix the value in {source}; the defaults are commented in the "
            "project's config.toml"
        ) from None


def _describe(error: Any, data: dict[str, Any], source: str) -> str:
    loc = [str(part) for part in error["loc"]]
    # Errors raised inside a union or annotated type carry the type name in loc; drop it.
    loc = [part for part in loc if not part.startswith(("function-", "url[", "constrained-"))]
    section, key = (loc[0], ".".join(loc[1:])) if len(loc) > 1 else (None, ".".join(loc))
    if section is None and key in Config.model_fields and isinstance(error.get("input"), dict):
        section, key = key, ""  # a check on a whole section
    where = f"[{section}] {key}" if section and key else (f"[{section}]" if section else key)
    if error["type"] == "extra_forbidden":
        known = _known_keys(loc[:-1])
        close = difflib.get_close_matches(loc[-1], known, n=1)
        suggestion = f"did you mean {close[0]!r}? " if close else ""
        return (
            f"{source}: unknown key {where}; {suggestion}known keys here: {', '.join(known)}"
        )
    message = clip(str(error["msg"]).removeprefix("Value error, "), 300)
    if error["type"] == "missing":
        return f"{source}: {where} is required"
    value = error.get("input")
    if isinstance(value, dict) or not key:
        return f"{source}: {where or 'top level'}: {message}"
    if isinstance(value, str) and "://" in value:  # a URL may carry a password or an API key
        value = _url_without_secrets(value)
        message = message.replace(str(error.get("input")), value)
    return f"{source}: {where} = {clip_repr(value)}: {message}"


def _url_without_secrets(url: str) -> str:
    """``url`` as scheme://host[:port]/… — user, password, path and query dropped: hosted
    nodes put the API key in any of them."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(a URL, not shown: it may hold a key)"
    rest = "/…" if (parts.path.strip("/") or parts.query or parts.username) else ""
    return f"{parts.scheme}://{host}{port}{rest}"


def _known_keys(loc: list[str]) -> list[str]:
    model: type[BaseModel] = Config
    for part in loc:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)
