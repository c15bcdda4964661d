"""The proposal index: each session decodes only the proposals that are new, lookups by
number, id, id prefix and goal, and a cache that never outlives the chain it was read from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from atelier.governance.accounts import dev_signer
from atelier.governance.dao import ProposalNotFound, StudioDAO
from atelier.governance.goals import GoalSpec
from atelier.governance.proposal_index import ProposalIndex
from atelier.studio import Studio

from workflow_helpers import governed_studio, studio_at


def spec(n: int) -> GoalSpec:
    return GoalSpec(title=f"Side series {n}", episodes=1)


def logs_read(dao: StudioDAO, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The from_block of every ProposalCreated read the session makes."""
    starts: list[int] = []
    original = dao.chain.get_logs

    def spy(**kwargs: Any) -> list[dict[str, Any]]:
        starts.append(kwargs["from_block"])
        return original(**kwargs)

    monkeypatch.setattr(dao.chain, "get_logs", spy)
    return starts


@pytest.fixture
def studio(tmp_path: Path) -> Studio:
    return studio_at(governed_studio(tmp_path, episodes=1))


def test_a_new_session_reads_only_the_proposals_made_since_the_last(
        studio: Studio, monkeypatch: pytest.MonkeyPatch) -> None:
    with studio.session() as dao:
        for n in range(3):
            dao.propose_goal(dev_signer("alice"), spec(n))
        head = dao.chain.w3.eth.block_number
    with studio.session() as dao:
        starts = logs_read(dao, monkeypatch)
        assert [p.number for p in dao.proposals()] == [1, 2, 3, 4]
        assert starts == []  # nothing new: not one event decoded
        dao.propose_goal(dev_signer("bob"), spec(9))
        assert dao.proposal("5").title == "Goal: Side series 9"
        assert starts == [head + 1]  # only the block after the cursor


def test_lookups_by_number_id_prefix_and_goal(studio: Studio) -> None:
    with studio.session() as dao:
        made = dao.propose_goal(dev_signer("alice"), spec(1))
        assert dao.proposal(str(made.id)).number == 2
        assert dao.proposal(f"{made.id:#x}"[:10]).number == 2
        assert dao.proposal(" 2 ").id == made.id
        assert dao.number_of(made.id) == "2"
        [goal] = dao.goals()
        assert goal.proposal == 1 and goal.spec is not None
        assert dao.proposal(str(goal.proposal)) == dao.described(dao.proposals()[0])
        for ref in ("0", "", "3", "0x", "0xzz", "0x" + "f" * 40, str(10**30)):
            with pytest.raises(ProposalNotFound):
                dao.proposal(ref)
        newest = dao.proposals(limit=1, newest_first=True)
        assert [p.number for p in newest] == [2]
        assert [p.number for p in dao.proposals(limit=1, offset=1)] == [2]


def test_a_rolled_back_command_does_not_leave_its_proposal_in_the_index(
        studio: Studio) -> None:
    """The embedded chain discards a failed command whole; the index (another file) saw the
    proposal, but its cursor block is gone, so the next session rebuilds it."""
    with pytest.raises(RuntimeError, match="after proposing"), studio.session() as dao:
        dao.propose_goal(dev_signer("alice"), spec(1))
        assert dao.proposal_count() == 2
        raise RuntimeError("the command failed after proposing")
    with studio.session() as dao:
        assert dao.proposal_count() == 1
        assert [p.title for p in dao.proposals()] == ["Goal: The Lighthouse Keepers"]


def test_a_damaged_index_file_is_rebuilt(studio: Studio) -> None:
    studio.workspace.proposal_index_file.write_bytes(b"not a database at all" * 100)
    with studio.session() as dao:
        assert dao.proposal_count() == 1
        assert dao.proposal("1").title == "Goal: The Lighthouse Keepers"


def test_an_index_file_that_cannot_be_opened_gives_way_to_memory(studio: Studio) -> None:
    """A cache that cannot be used (here a folder in its place) costs decoding, not the
    command, and nothing is deleted."""
    studio.workspace.proposal_index_file.unlink(missing_ok=True)
    studio.workspace.proposal_index_file.mkdir()
    (studio.workspace.proposal_index_file / "keep").write_text("mine")
    with studio.session() as dao:
        assert dao.proposal("1").title == "Goal: The Lighthouse Keepers"
    assert (studio.workspace.proposal_index_file / "keep").read_text() == "mine"


def test_an_index_copied_from_another_chain_is_not_trusted(tmp_path: Path) -> None:
    """A workspace's cache beside another chain (its blocks differ): it starts over."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = studio_at(governed_studio(tmp_path / "a", episodes=1))
    second = studio_at(governed_studio(tmp_path / "b", episodes=2))
    with first.session() as dao:
        dao.propose_goal(dev_signer("alice"), spec(1))
        assert dao.proposal_count() == 2
    second.workspace.proposal_index_file.write_bytes(
        first.workspace.proposal_index_file.read_bytes())
    with second.session() as dao:
        assert dao.proposal_count() == 1
        assert dao.proposals()[0].description == GoalSpec(
            title="The Lighthouse Keepers", brief="Two keepers and a storm.", episodes=2,
            audit_every=1).description()


def test_an_index_in_memory_lasts_one_session(tmp_path: Path) -> None:
    index = ProposalIndex.open(None)
    assert index.count() == 0 and index.page() == []
    index.close()
