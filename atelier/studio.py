"""One command's view of a studio: its config, workspace, chain, DAO, accounts, store and
the agents' models, wired from config.toml. It is what the production graph asks for
(``atelier.workflows.context.StudioServices``).

Commands open the chain through ``Studio.session()``: on the embedded chain everything the
command did is saved when it ends normally and discarded if it fails, so a command is atomic.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from atelier.kernel.errors import AtelierError, WorkspaceError
from atelier.kernel.text import clip_repr
from atelier.workspace import Workspace

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from atelier.agents.calls import CallLog
    from atelier.agents.context import AgentContext
    from atelier.agents.prompt_file import PromptFile
    from atelier.agents.prompt_store import PromptStore
    from atelier.agents.readability import ReadabilitySettings
    from atelier.config import Config
    from atelier.governance.accounts import Signer
    from atelier.governance.chain.base import Chain
    from atelier.governance.dao import StudioDAO
    from atelier.governance.deploy import Deployment
    from atelier.governance.member_messages import StudioDomain
    from atelier.pictures.settings import PicturesSettings
    from atelier.store.database import Store


@dataclass
class Studio:
    config: Config
    workspace: Workspace
    config_path: Path

    @classmethod
    def load(cls, config_path: Path, workspace: Path | None = None) -> Studio:
        from atelier.config import load_config  # pydantic: only for commands that need it

        config = load_config(config_path)
        if workspace is not None:
            _check_workspace_option(workspace)
        root = workspace or Path(config.workspace.path)
        if not root.is_absolute():
            base = Path.cwd() if workspace else config_path.resolve().parent
            root = base / root
        return cls(config=config, workspace=Workspace(root), config_path=config_path)

    @property
    def prompts_dir(self) -> Path:
        path = Path(self.config.prompts.dir)
        return path if path.is_absolute() else self.config_path.resolve().parent / path

    def working_prompt_path(self, agent: str) -> Path:
        return self.prompts_dir / f"{agent}.prompty"

    @property
    def prompt_store(self) -> PromptStore:
        """Every prompt version this workspace knows, by content hash."""
        from atelier.agents.prompt_store import PromptStore

        return PromptStore(self.workspace.prompt_store_dir)

    @property
    def assets_dir(self) -> Path:
        return self.workspace.assets_dir

    @property
    def pictures(self) -> PicturesSettings:
        return self.config.pictures

    @property
    def max_concurrency(self) -> int:
        return self.config.workflow.max_concurrency

    @property
    def curation_variants(self) -> int:
        return self.config.curation.variants

    @property
    def curation_window(self) -> int:
        return self.config.curation.window

    @property
    def rewrite_below(self) -> float:
        return self.config.audit.rewrite_below

    @property
    def readability(self) -> ReadabilitySettings:
        return self.config.readability

    # -- storage ------------------------------------------------------------------------
    @property
    def store_url(self) -> str:
        """The store's SQLAlchemy URL: ``[storage] url``, or SQLite in the workspace."""
        from atelier.store.database import database_url

        return database_url(self.config.storage.url, self.workspace.database_file)

    def open_store(self) -> Store:
        """The studio's store (runs, episodes, assets, audits, model calls), migrated."""
        from atelier.store.database import Store

        self.workspace.require_initialised()
        return Store.open(self.store_url)

    @contextmanager
    def open_checkpointer(self) -> Iterator[BaseCheckpointSaver]:
        """LangGraph checkpoints of the runs: PostgreSQL at ``[storage] url``, else SQLite."""
        from atelier.store.checkpoints import open_checkpointer

        with open_checkpointer(self.config.storage.url, self.workspace.checkpoints_file) as saver:
            yield saver

    def run_lock(self, run_id: int) -> AbstractContextManager[None]:
        from atelier.store.run_lock import run_lock

        return run_lock(self.config.storage.url, self.workspace.run_locks_dir, run_id)

    def run_is_live(self, run_id: int) -> bool:
        from atelier.store.run_lock import run_is_live

        return run_is_live(self.config.storage.url, self.workspace.run_locks_dir, run_id)

    # -- agents -------------------------------------------------------------------------
    def agent_context(self, agent: str, prompt: PromptFile, log: CallLog) -> AgentContext:
        """The agent with ``prompt`` (an approved version) on the chat model config.toml
        picks: [models], then [agents.<agent>], then the prompt's front matter (the most
        specific wins); sampling parameters always come from the prompt."""
        from atelier.agents.context import AgentContext
        from atelier.agents.models.factory import chat_model_for

        settings = self.config.models_for(agent)
        gguf = settings.local.gguf
        if gguf is not None and not gguf.is_absolute():
            base = self.config_path.resolve().parent
            local = settings.local.model_copy(update={"gguf": (base / gguf).resolve()})
            settings = settings.model_copy(update={"local": local})
        handle = chat_model_for(settings, prompt.model.params, provider=prompt.model.provider,
                                model_name=prompt.model.name)
        return AgentContext(prompt=prompt, handle=handle, log=log,
                            max_attempts=self.config.agent(agent).max_attempts,
                            readability=self.config.readability)

    @contextmanager
    def open_chain(self) -> Iterator[Chain]:
        # The chain's own context manager persists on success and discards on failure.
        with self._connect() as chain:
            yield chain

    def _connect(self) -> Chain:
        settings = self.config.chain
        if settings.kind == "embedded":
            from atelier.governance.chain.embedded import EmbeddedChain

            self.workspace.root.mkdir(parents=True, exist_ok=True)
            return EmbeddedChain.open(self.workspace.chain_file, lock_timeout=settings.lock_timeout)
        from atelier.governance.chain.rpc import RpcChain

        return RpcChain.connect(str(settings.rpc_url), timeout=settings.request_timeout)

    def deployment(self) -> Deployment:
        from atelier.governance.deploy import Deployment

        self.workspace.require_initialised()
        try:
            return Deployment.load(self.workspace.deployment_file)
        except (OSError, ValueError) as exc:
            raise WorkspaceError(
                f"{self.workspace.deployment_file} is unreadable ({exc.__class__.__name__})",
                hint="restore it from a backup, or `atelier init --force` to start a new studio",
            ) from None

    @contextmanager
    def session(self) -> Iterator[StudioDAO]:
        """Open the chain and the DAO deployed in this workspace."""
        from atelier.governance.dao import StudioDAO

        deployment = self.deployment()
        with self.open_chain() as chain:
            chain_id = chain.w3.eth.chain_id
            if chain_id != deployment.chain_id or not chain.w3.eth.get_code(deployment.governor):
                raise WorkspaceError(
                    f"the chain (id {chain_id}) has no Atelier DAO at {deployment.governor}",
                    hint="the node may have been reset; point [chain] at the chain this "
                    "workspace was deployed on, or `atelier init --force`",
                )
            dao = StudioDAO(chain, deployment, names=self.account_names(),
                            index_path=self.workspace.proposal_index_file)
            try:
                yield dao
            finally:
                dao.close()

    def signing_domain(self) -> StudioDomain:
        """The EIP-712 domain of members' reviews and votes: from the deployment, no chain."""
        from atelier.governance.member_messages import StudioDomain

        deployment = self.deployment()
        return StudioDomain(chain_id=deployment.chain_id, registry=deployment.registry)

    # -- accounts -----------------------------------------------------------------------
    def operator(self) -> Signer:
        """The account that opens a run's audit proposals ([workflow] operator)."""
        return self.signer(self.config.workflow.operator)

    def signer(self, name: str) -> Signer:
        if self.config.chain.accounts == "dev":
            from atelier.governance.accounts import DEV_ACCOUNT_NAMES, dev_signer

            try:
                return dev_signer(name)
            except KeyError:
                raise AtelierError(
                    f"no dev account called {clip_repr(name)}",
                    hint=f"dev accounts: {', '.join(DEV_ACCOUNT_NAMES)}",
                ) from None
        from atelier.governance.keystore import load_signer

        return load_signer(
            self.workspace.keystore_dir, name,
            lambda who: getpass.getpass(f"passphrase for {who}: "),
        )

    def account_names(self) -> dict[str, str]:
        """address -> name, for messages and tables."""
        if self.config.chain.accounts == "dev":
            from atelier.governance.accounts import dev_signers

            return {s.address: name for name, s in dev_signers().items()}
        from atelier.governance.keystore import list_accounts

        return {address: name for name, address in list_accounts(
            self.workspace.keystore_dir).items()}

    def address_of(self, name_or_address: str) -> str:
        if name_or_address.startswith("0x") and len(name_or_address) == 42:
            from eth_utils import to_checksum_address

            return to_checksum_address(name_or_address)
        for address, name in self.account_names().items():
            if name == name_or_address:
                return address
        raise AtelierError(
            f"unknown account {clip_repr(name_or_address)}",
            hint="give a 0x address or the name of a known account",
        )


def _check_workspace_option(workspace: Path) -> None:
    """--workspace / ATELIER_WORKSPACE: a folder path the system can hold, like the config's."""
    from atelier.config import os_path
    from atelier.kernel.errors import ConfigError
    from atelier.kernel.text import clip_repr

    try:
        os_path(str(workspace))
    except ValueError as exc:
        raise ConfigError(f"--workspace {clip_repr(str(workspace))}: {exc}",
                          hint="give the path of a folder (new or holding a studio)") from None
