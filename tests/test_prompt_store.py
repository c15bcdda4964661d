"""The content-addressed prompt store and its append-only history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from atelier.agents.prompt_file import PromptFileError, load_prompt, prompt_hash
from atelier.agents.prompt_store import PromptStore, PromptStoreError

FIXTURES = Path(__file__).parent / "fixtures" / "prompts"
SCRIPTWRITER = FIXTURES / "scriptwriter.prompty"
TINY = '---\nname: tiny\nmetadata:\n  version: "1"\n---\nsystem:\nBe brief.\nuser:\nHi.\n'


@pytest.fixture
def store(tmp_path: Path) -> PromptStore:
    return PromptStore(tmp_path / "prompts")


def objects(store: PromptStore) -> list[str]:
    return sorted(p.name for p in store.objects.iterdir()) if store.objects.exists() else []


def test_put_get_round_trip(store: PromptStore) -> None:
    raw = SCRIPTWRITER.read_bytes()
    content_hash = store.put(raw)
    assert content_hash == prompt_hash(raw) == load_prompt(SCRIPTWRITER).content_hash
    assert store.has(content_hash)
    prompt = store.get(content_hash)
    assert prompt.content_hash == content_hash
    assert prompt.normalized_text == raw.decode()
    assert prompt.name == "scriptwriter"
    assert prompt.path == store.objects / f"{content_hash.hex()}.prompty"
    assert prompt.render(premise="x")[0][0] == "system"


def test_put_is_idempotent_and_normalizes(store: PromptStore) -> None:
    lf = TINY.encode()
    first = store.put(lf)
    path = store.object_path(first)
    before = path.stat().st_mtime_ns
    assert store.put(lf) == first
    assert store.put(lf.replace(b"\n", b"\r\n")) == first  # CRLF copy: same object
    assert store.put(TINY) == first  # str works too
    assert path.stat().st_mtime_ns == before  # not rewritten
    assert objects(store) == [f"{first.hex()}.prompty"]  # no temporary files left behind
    assert path.read_bytes() == lf


def test_every_version_is_kept(store: PromptStore) -> None:
    first = store.put(TINY)
    second = store.put(TINY.replace("Hi.", "Hello."))
    assert first != second
    assert store.get(first).normalized_text == TINY
    assert "Hello." in store.get(second).body


def test_put_rejects_a_broken_file(store: PromptStore) -> None:
    with pytest.raises(PromptFileError, match=r"draft.prompty:\d+: body: missing 'user:'"):
        store.put(TINY.replace("user:\n", ""), source="draft.prompty")
    assert objects(store) == []


def test_missing_object(store: PromptStore) -> None:
    missing = prompt_hash(TINY)
    assert not store.has(missing)
    with pytest.raises(PromptStoreError) as info:
        store.get(missing)
    assert "0x" + missing.hex() in info.value.message
    assert "not in the store" in info.value.message
    assert info.value.hint and "propose" in info.value.hint


def test_tampered_object_is_detected(store: PromptStore) -> None:
    content_hash = store.put(TINY)
    path = store.object_path(content_hash)
    path.write_text(TINY.replace("Be brief.", "Be evil."))
    with pytest.raises(PromptStoreError, match="was modified"):
        store.get(content_hash)
    path.write_bytes(b"\xff\xfe garbage")
    with pytest.raises(PromptStoreError, match="was modified"):
        store.get(content_hash)
    # putting the approved text again repairs it
    assert store.put(TINY) == content_hash
    assert store.get(content_hash).normalized_text == TINY


def test_a_crlf_object_still_verifies(store: PromptStore) -> None:
    """The name is the hash of the normalized text, whatever line endings a copy got."""
    content_hash = store.put(TINY)
    store.object_path(content_hash).write_bytes(TINY.replace("\n", "\r\n").encode())
    assert store.get(content_hash).content_hash == content_hash


def test_bad_hash_argument(store: PromptStore) -> None:
    with pytest.raises(PromptStoreError, match="not a content hash"):
        store.get(b"short")


def test_history_append_and_read(store: PromptStore) -> None:
    assert store.history("scriptwriter") == []
    v1 = store.put(SCRIPTWRITER.read_bytes())
    v2 = store.put(SCRIPTWRITER.read_text().replace("0.7", "0.8"))
    tiny = store.put(TINY)
    store.record("scriptwriter", v1, event="proposed", proposal="7")
    store.record("scriptwriter", v1, event="approved", proposal="7", note="first cut")
    store.record("layout", tiny, event="proposed")
    store.record("scriptwriter", v2, event="proposed", proposal="9")
    store.record("scriptwriter", v2, event="rejected", proposal="9", note="too hot")

    events = store.history("scriptwriter")
    assert [(r.content_hash, r.event, r.proposal) for r in events] == [
        (v1, "proposed", "7"),
        (v1, "approved", "7"),
        (v2, "proposed", "9"),
        (v2, "rejected", "9"),
    ]
    assert events[1].note == "first cut"
    assert all(r.agent == "scriptwriter" for r in events)
    assert [r.at for r in events] == sorted(r.at for r in events)
    assert events[0].hash_hex == "0x" + v1.hex()
    assert [r.agent for r in store.history()] == ["scriptwriter"] * 2 + ["layout"] + [
        "scriptwriter"
    ] * 2

    latest = store.latest("scriptwriter")
    assert latest is not None and latest.content_hash == v1
    assert store.latest("designer") is None

    lines = store.history_path.read_text().splitlines()
    assert len(lines) == 5
    assert json.loads(lines[0])["content_hash"] == "0x" + v1.hex()


def test_record_needs_a_stored_version(store: PromptStore) -> None:
    with pytest.raises(PromptStoreError, match="not in the store"):
        store.record("scriptwriter", prompt_hash(TINY), event="proposed")


def test_record_checks_the_agent_name(store: PromptStore) -> None:
    content_hash = store.put(TINY)
    with pytest.raises(PromptStoreError, match="not a valid agent name"):
        store.record("../evil", content_hash, event="proposed")


def test_torn_last_line_is_ignored_then_cut(store: PromptStore) -> None:
    content_hash = store.put(TINY)
    store.record("layout", content_hash, event="proposed")
    with store.history_path.open("ab") as handle:  # a process killed mid-write
        handle.write(b'{"agent": "layout", "content_hash": "0x12')
    assert [r.event for r in store.history("layout")] == ["proposed"]

    store.record("layout", content_hash, event="approved")
    assert [r.event for r in store.history("layout")] == ["proposed", "approved"]
    assert len(store.history_path.read_bytes().splitlines()) == 2


def test_damaged_middle_line_is_reported(store: PromptStore) -> None:
    content_hash = store.put(TINY)
    store.record("layout", content_hash, event="proposed")
    with store.history_path.open("ab") as handle:
        handle.write(b"not json\n")
    store.record("layout", content_hash, event="approved")
    with pytest.raises(PromptStoreError, match=r"history.jsonl:2: history line is damaged"):
        store.history("layout")
