"""Foreign text (model, image and chain servers' errors) is scrubbed where it enters: no API
key, URL credential or terminal escape reaches the store, a checkpoint or a report."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier.kernel.redact import scrub

from workflow_helpers import governed_studio, studio_at, with_provider

KEY = "sk-live-abcdef0123456789abcdef"


def test_scrub_removes_secrets_escapes_and_length(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_API_KEY", "zq81-value-from-env")
    text = (f"401 for https://user:hunter2pass@api.example/v1?api_key=abc123&x=1 with {KEY} "
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9 env zq81-value-from-env "
            "\x1b[31mred\x1b[0m\nnext line")
    clean = scrub(text)
    for secret in ("hunter2pass", "abc123", KEY, "eyJhbGciOiJIUzI1NiJ9", "zq81-value-from-env"):
        assert secret not in clean
    assert "\x1b" not in clean and "\n" not in clean
    assert "https://***@api.example/v1?api_key=***&x=1" in clean
    assert "red" in clean and "next line" in clean
    assert scrub("x" * 5000, limit=100) == "x" * 99 + "…"
    assert scrub("a prompt hash 0x" + "ab" * 32) == "a prompt hash 0x" + "ab" * 32  # kept


def test_scrub_masks_every_shape_the_compliance_check_flags() -> None:
    """One list of secret shapes: what a proposal's compliance section would flag (detect-
    secrets' detectors) is masked in foreign text too."""
    from atelier.kernel.compliance import secret_spans

    aws, github = "AKIAIOSFODNN7EXAMPLE", "ghp_" + "a1B2c3D4e5" * 3 + "xYz123"
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----"
    text = f"node said: bad creds {aws} and {github}; key {pem}"
    assert len(secret_spans(text)) == 3  # the compliance check sees three
    clean = scrub(text)
    for secret in (aws, github, "MIIEowIBAAKCAQEA7"):
        assert secret not in clean
    assert clean.startswith("node said: bad creds ***")


def test_a_model_error_echoing_the_api_key_is_stored_nowhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from atelier.agents.structured import AgentCallError
    from atelier.testing.models import scripted_provider
    from atelier.workflows.runner import Runner

    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    config = governed_studio(tmp_path, episodes=1, audit_every=1)

    def leaky(messages: list) -> str:
        raise RuntimeError(f"Incorrect API key provided: {KEY}. See https://u:pw12345678@x/")

    with scripted_provider("leaky", leaky):
        studio = with_provider(studio_at(config), "leaky")
        store = studio.open_store()
        with pytest.raises(AgentCallError) as raised:
            Runner(studio, store).start()
        assert KEY not in raised.value.message and "pw12345678" not in raised.value.message
        assert "Incorrect API key provided" in store.run(1).message
        store.close()
    for path in (tmp_path / ".atelier").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert KEY.encode() not in data and b"pw12345678" not in data, path
