"""Send signed transactions and make calls, turning reverts into ``TransactionFailed``.

Transactions are always signed locally and sent raw, so the same path works on the
embedded EVM, anvil and any remote node (which never sees a key).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from atelier.governance.revert import DecodedRevert, decode_revert
from atelier.kernel.errors import TransactionFailed

if TYPE_CHECKING:
    from web3.contract.contract import ContractFunction
    from web3.types import TxReceipt

    from atelier.governance.accounts import Signer
    from atelier.governance.chain.base import Chain

#: Turns a decoded revert into a sentence for users, or None to use the generic one.
Explainer = Callable[[DecodedRevert], str | None]

_BYTES_REPR = re.compile(r"""b(['"]).*\1""", re.DOTALL)
_GAS_MARGIN = 1.2  # estimates can undershoot when state moves between estimate and mining


def transact(
    chain: Chain,
    signer: Signer,
    call: ContractFunction,
    *,
    action: str,
    explain: Explainer | None = None,
    timeout: float = 120,
    value: int = 0,
) -> TxReceipt:
    """Sign ``call`` as ``signer``, send it (with ``value`` wei), wait for the receipt; raise
    on revert."""

    def build(params: dict[str, Any]) -> dict[str, Any]:
        return call.build_transaction({**params, "value": value} if value else params)

    return _send(chain, signer, build, action, explain, timeout)


def send_value(chain: Chain, signer: Signer, to: str, wei: int, *, action: str,
               timeout: float = 120) -> TxReceipt:
    """Send ``wei`` to ``to`` (income to the treasury, a payment), nothing else."""

    def build(params: dict[str, Any]) -> dict[str, Any]:
        tx = {**params, "to": to, "value": wei, "gasPrice": chain.w3.eth.gas_price}
        tx["gas"] = chain.w3.eth.estimate_gas(tx)  # type: ignore[arg-type]
        return tx

    return _send(chain, signer, build, action, None, timeout)


def deploy(
    chain: Chain, signer: Signer, contract: Any, *args: Any, action: str, timeout: float = 120
) -> TxReceipt:
    """Deploy ``contract`` (a web3 contract factory) with constructor ``args``."""
    return _send(
        chain, signer, lambda params: contract.constructor(*args).build_transaction(params),
        action, None, timeout,
    )


def call(
    fn: ContractFunction,
    *,
    action: str,
    explain: Explainer | None = None,
    sender: str | None = None,
    value: int = 0,
) -> Any:
    """``eth_call`` ``fn``; a revert becomes ``TransactionFailed`` with the decoded error.

    ``sender`` simulates the call from that address, any address: a contract's too, which
    no key can sign for (how the access-control tests ask "what if the timelock called?").
    """
    params: dict[str, Any] = {}
    if sender is not None:
        params["from"] = sender
    if value:
        params["value"] = value
    try:
        return fn.call(params or None)  # type: ignore[arg-type]
    except _revert_types() as exc:
        raise _failure(action, *_revert_payload(exc), explain) from None


def _revert_types() -> tuple[type[Exception], ...]:
    from eth_tester.exceptions import TransactionFailed as TesterTransactionFailed
    from web3.exceptions import ContractLogicError

    return (ContractLogicError, TesterTransactionFailed)


def _revert_payload(exc: Exception) -> tuple[Any, str | None]:
    """(revert data, message) from web3's ContractLogicError (JSON-RPC nodes) or from
    eth-tester, whose web3 provider raises with the data as a bytes repr in the message."""
    data = getattr(exc, "data", None)
    if data is not None:
        return data, getattr(exc, "message", None)
    text = str(exc.args[0]) if exc.args else ""
    match = _BYTES_REPR.search(text)
    if match:
        try:
            return ast.literal_eval(match.group(0)), text
        except (ValueError, SyntaxError):
            pass
    return None, text


def _send(
    chain: Chain,
    signer: Signer,
    build: Callable[[dict[str, Any]], dict[str, Any]],
    action: str,
    explain: Explainer | None,
    timeout: float,
) -> TxReceipt:
    w3 = chain.w3
    params: dict[str, Any] = {
        "from": signer.address,
        "nonce": w3.eth.get_transaction_count(signer.address, "pending"),
        "chainId": w3.eth.chain_id,
    }
    try:
        tx = build(params)
    except _revert_types() as exc:
        raise _failure(action, *_revert_payload(exc), explain) from None
    tx["gas"] = int(tx["gas"] * _GAS_MARGIN)
    signed = signer.account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout)
    if receipt["status"] != 1:
        # Replay at the parent block to learn why; the state the tx saw is gone otherwise.
        replay = {k: tx[k] for k in ("from", "to", "data", "value") if k in tx}
        try:
            w3.eth.call(replay, receipt["blockNumber"] - 1)  # type: ignore[arg-type]
        except _revert_types() as exc:
            raise _failure(action, *_revert_payload(exc), explain) from None
        raise TransactionFailed(
            f"{action} failed on-chain (transaction {tx_hash.hex()}, out of gas or reverted)"
        )
    return receipt


def _failure(
    action: str, data: Any, message: str | None, explain: Explainer | None
) -> TransactionFailed:
    raw = data.get("data") if isinstance(data, dict) else data
    decoded = decode_revert(raw) if isinstance(raw, str | bytes) else None
    if decoded is None:
        reason = (message or "no reason given").removeprefix("execution reverted: ")
        return TransactionFailed(f"{action} was rejected by the contract: {reason}")
    if decoded.name == "Error" and decoded.args:
        return TransactionFailed(
            f"{action} was rejected: {decoded.args[0]}", error_name="Error", error_args=decoded.args
        )
    text = explain(decoded) if explain else None
    return TransactionFailed(
        text or f"{action} was rejected by the contract: {decoded}",
        error_name=decoded.name,
        error_args=decoded.args,
    )
