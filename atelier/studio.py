"""One command's view of a studio: its config, workspace, chain, DAO and accounts.

Commands open the chain through ``Studio.session()``: on the embedded chain everything the
command did is saved when it ends normally and discarded if it fails, so a command is atomic.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from atelier.errors import AtelierError, WorkspaceError
from atelier.workspace import Workspace

if TYPE_CHECKING:
    from atelier.config import Config
    from atelier.governance.accounts import Signer
    from atelier.governance.chain.base import Chain
    from atelier.governance.dao import StudioDAO
    from atelier.governance.deploy import Deployment


@dataclass
class Studio:
    config: Config
    workspace: Workspace
    config_path: Path

    @classmethod
    def load(cls, config_path: Path, workspace: Path | None = None) -> Studio:
        from atelier.config import load_config  # pydantic: only for commands that need it

        config = load_config(config_path)
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
            yield StudioDAO(chain, deployment, names=self.account_names())

    # -- accounts -----------------------------------------------------------------------
    def signer(self, name: str) -> Signer:
        if self.config.chain.accounts == "dev":
            from atelier.governance.accounts import DEV_ACCOUNT_NAMES, dev_signer

            try:
                return dev_signer(name)
            except KeyError:
                raise AtelierError(
                    f"no dev account called {name!r}",
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
            f"unknown account {name_or_address!r}",
            hint="give a 0x address or the name of a known account",
        )
