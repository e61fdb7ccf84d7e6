"""The one registry mechanism: pluggy hooks, as simonw/llm does it.

Every extensible list of jixiao — rule families, document loaders, embedding
models, drafters, report sections and report checks — is a :class:`Registry` filled by one hook
of :mod:`core.hookspecs`. The built-in items are registered through the same
hooks a third party uses: each built-in package is a plugin module with
``@hookimpl`` functions, registered with :func:`register_builtin`. An
evaluation firm adds its own rule family or section by shipping a package with
an entry point in the ``jixiao`` group::

    [project.entry-points.jixiao]
    my_rules = "my_firm.jixiao_rules"

    # my_firm/jixiao_rules.py
    from core.plugins import hookimpl

    @hookimpl
    def register_sections(register):
        register(SectionSpec(name="risks", title="风险提示", ...))

Tests register a plugin object with :func:`register_plugin` (and take it back
with :func:`unregister_plugin`); every registry re-collects on its next use.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from typing import Generic, Protocol, TypeVar

import pluggy

from core import hookspecs

PROJECT_NAME = "jixiao"
ENTRY_POINT_GROUP = "jixiao"

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

_manager = pluggy.PluginManager(PROJECT_NAME)
_manager.add_hookspecs(hookspecs)
_generation = 0
_entry_points_loaded = False
_entry_points_loading = False  # only the thread holding _lock sees it True
#: Serialises changes to the plugin manager (server requests run in threads). Imports happen outside it:
#: a module's own import lock makes a second importer wait for the first.
_lock = threading.RLock()
_starting = threading.local()  # the registries this thread is registering built-ins for (a re-entrant first use)


class Named(Protocol):
    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=Named)


class DuplicateName(ValueError):
    """Two plugins registered the same name in one registry."""


def _bump() -> None:
    global _generation
    _generation += 1


def register_builtin(module_name: str) -> None:
    """Register a built-in plugin module by its import name (idempotent; any thread may call it at once)."""
    if _manager.get_plugin(module_name) is not None:
        return
    module = importlib.import_module(module_name)
    with _lock:
        if _manager.get_plugin(module_name) is None:
            _manager.register(module, name=module_name)
            _bump()


def register_plugin(plugin: object, name: str | None = None) -> str:
    """Register a plugin object or module (a test's fake model, a firm's section); returns its name."""
    with _lock:
        registered = _manager.register(plugin, name=name)
        if registered is None:
            raise ValueError(f"插件 {name or plugin!r} 已注册")
        _bump()
    return registered


def unregister_plugin(name: str) -> None:
    """Take a plugin back out; registries forget its items on their next use."""
    with _lock:
        _manager.unregister(name=name)
        _bump()


def load_entry_points() -> None:
    """Load third-party plugins from the ``jixiao`` entry-point group (once per process)."""
    global _entry_points_loaded, _entry_points_loading
    if _entry_points_loaded:
        return
    with _lock:  # another thread waits here until they are loaded; this thread, re-entering from a plugin's import, goes on
        if _entry_points_loaded or _entry_points_loading:
            return
        _entry_points_loading = True
        try:
            if _manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP):
                _bump()
        finally:
            _entry_points_loading = False
            _entry_points_loaded = True  # set last: a thread that sees it finds every plugin registered


def plugin_names() -> list[str]:
    """Names of every registered plugin (built-in modules and third-party ones)."""
    return sorted(name for name, _ in _manager.list_name_plugin())


class Registry(Generic[T]):
    """Items of one kind by name, collected from the hook ``hook`` of every registered plugin.

    ``builtins`` names the modules whose hook implementations provide the
    built-in items; they are registered on first use, so importing a registry
    never imports heavy modules. Names are unique: a second registration of the
    same name is an error that names both plugins, not a silent replacement.
    """

    def __init__(self, hook: str, what: str, builtins: tuple[str, ...] = ()) -> None:
        if not hasattr(hookspecs, hook):
            raise ValueError(f"no hook spec {hook!r}")
        self.hook, self.what, self.builtins = hook, what, builtins
        self._items: dict[str, T] = {}
        self._owners: dict[str, str] = {}
        self._seen = -1
        self._started = False

    def _collect(self) -> dict[str, T]:
        if self._seen == _generation:  # the hot path: one comparison (the engine looks rules up per leaf)
            return self._items
        self._start()
        generation = _generation  # read first: a plugin registered while collecting makes the next use collect again
        items: dict[str, T] = {}
        owners: dict[str, str] = {}
        for impl in getattr(_manager.hook, self.hook).get_hookimpls():  # a copy, in registration order
            owner = impl.plugin_name

            def add(item: T, owner: str = owner) -> None:
                if item.name in items:
                    raise DuplicateName(f"{self.what}“{item.name}”重复注册（{owners[item.name]} 与 {owner}）")
                items[item.name] = item
                owners[item.name] = owner

            impl.function(register=add)
        self._items, self._owners, self._seen = items, owners, generation  # the items before the number that says they are current
        return items

    def _start(self) -> None:
        """Register the built-in modules on first use. Every thread that arrives before they are registered
        registers them too (idempotent; the import lock makes it wait for the thread importing them), so no
        thread collects without them. Only this thread's own re-entrant use, from a built-in's import, goes on
        without them (and collects again afterwards)."""
        if self._started:
            return
        busy: set[int] = _starting.__dict__.setdefault("registries", set())
        if id(self) in busy:
            return
        busy.add(id(self))
        try:
            for module in self.builtins:
                register_builtin(module)
            load_entry_points()
            self._started = True
        finally:
            busy.discard(id(self))

    def __getitem__(self, name: str) -> T:
        items = self._collect()
        if name not in items:
            raise KeyError(f"未知的{self.what} {name!r}（可用：{'、'.join(items) or '无'}）")
        return items[name]

    def get(self, name: str) -> T | None:
        return self._collect().get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._collect()

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._collect()))

    def __len__(self) -> int:
        return len(self._collect())

    def names(self) -> list[str]:
        return list(self._collect())

    def values(self) -> list[T]:
        return list(self._collect().values())

    def items(self) -> list[tuple[str, T]]:
        return list(self._collect().items())

    def owner(self, name: str) -> str:
        """The plugin that registered ``name``."""
        self._collect()
        return self._owners[name]


Register = Callable[[T], None]
