"""Chat-model providers by name: the one seam every backend plugs into.

A provider is a function ``(settings, params, model_name) -> ChatModelHandle``. Providers
come from plugin modules that call ``register_provider`` when imported. The built-in ones
(``local``, ``openai``, ``ollama``, in ``atelier.agents.models.builtin``) load through the same
``load_plugins`` path as a module named in ``[models] plugins``, so the seam is exercised on
every call; the tests load the scripted cast (``atelier.testing.models``) that way.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from atelier.kernel.errors import AtelierError

if TYPE_CHECKING:
    from atelier.agents.models.factory import ChatModelHandle
    from atelier.agents.models.settings import ModelSettings
    from atelier.agents.prompt_file import GenerationParams

__all__ = [
    "BUILTIN_PLUGINS",
    "BUILTIN_PROVIDERS",
    "ModelConfigError",
    "ProviderFactory",
    "load_plugins",
    "provider",
    "provider_names",
    "register_provider",
    "registered",
    "unregister_provider",
]

#: Builds the chat model of one agent call: config settings, the prompt's sampling
#: parameters, and the model name a prompt file may ask for (None: the settings decide).
ProviderFactory = Callable[["ModelSettings", "GenerationParams", "str | None"], "ChatModelHandle"]

BUILTIN_PLUGINS: tuple[str, ...] = ("atelier.agents.models.builtin",)
#: What BUILTIN_PLUGINS register; config.toml may name these without a plugin.
BUILTIN_PROVIDERS: tuple[str, ...] = ("local", "openai", "ollama")

_providers: dict[str, ProviderFactory] = {}
_loaded: set[str] = set()
_lock = threading.RLock()


class ModelConfigError(AtelierError):
    """The chosen model cannot be set up from the settings (unknown provider, no key...)."""


def register_provider(name: str, factory: ProviderFactory) -> None:
    """Make ``factory`` the provider called ``name`` (a plugin module calls this on import).
    Registering a name again replaces it."""
    with _lock:
        _providers[name] = factory


def unregister_provider(name: str) -> ProviderFactory | None:
    """Remove the provider called ``name``; returns it (None if there was none)."""
    with _lock:
        return _providers.pop(name, None)


def registered(name: str) -> ProviderFactory | None:
    with _lock:
        return _providers.get(name)


def load_plugins(modules: Iterable[str]) -> None:
    """Import each plugin module once (the built-in ones first)."""
    for module in (*BUILTIN_PLUGINS, *modules):
        with _lock:
            if module in _loaded:
                continue
            try:
                importlib.import_module(module)
            except ImportError as exc:
                raise ModelConfigError(
                    f"the model plugin {module!r} cannot be imported ({exc})",
                    hint="[models] plugins names Python modules that are installed in "
                    "Atelier's environment, e.g. 'atelier.testing.models'",
                ) from None
            except Exception as exc:  # a plugin's own bug, reported as one line
                raise ModelConfigError(
                    f"the model plugin {module!r} failed while loading: "
                    f"{type(exc).__name__}: {exc}",
                    hint="fix the plugin, or remove it from [models] plugins",
                ) from None
            _loaded.add(module)


def provider(name: str, plugins: Iterable[str] = ()) -> ProviderFactory:
    """The provider called ``name``, after loading the built-in and the given plugins."""
    load_plugins(plugins)
    with _lock:
        found = _providers.get(name)
    if found is None:
        raise ModelConfigError(
            f"unknown model provider {name!r}",
            hint=f"use one of: {', '.join(provider_names())} in config.toml ([models] "
            "provider, [agents.<name>] provider), or name the module that provides it in "
            "[models] plugins; a prompt file's model: provider: may name the built-in ones",
        )
    return found


def provider_names() -> list[str]:
    with _lock:
        return sorted(_providers)
