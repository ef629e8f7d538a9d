"""The package view of Go: the files of one folder with the same `package` clause, as one unit.

A file's model asks its package for the package-level names it does not declare itself (a constant,
type or function of another file) and for what other files do with a value (calls of a constructor,
writes to a field). The other files are parsed the first time a question needs them, through a loader the
engine gives (the engine does the I/O); a file that cannot be read or parsed is left out, and what it would
have answered stays unknown (rules then give the benefit of the doubt).

    package = GoPackage("svc", "svc", this_file, loader)   # loader() -> [GoFile of the other files]
    package.binding("defaultHeader", model)                # a Binding declared in another file
    package.models()                                       # every file's model, this one first
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:
    from ..frontends.go import GoFile
    from .go import Binding, GoModel


class GoPackage:
    def __init__(self, folder: str, name: str, this: "GoFile", loader: Callable[[], list["GoFile"]]) -> None:
        self.folder, self.name = folder, name
        self.this = this
        self._loader = loader
        self._others: list["GoFile"] | None = None
        self._names: dict[str, "Binding"] | None = None
        this.model.package = self

    def others(self) -> list["GoFile"]:
        """The package's other files (parsed once, on first use), their models attached to this package."""
        if self._others is None:
            self._others = []
            for f in self._loader():
                f.model.package = self
                self._others.append(f)
        return self._others

    def models(self) -> Iterator["GoModel"]:
        yield self.this.model
        for f in self.others():
            yield f.model

    def binding(self, name: str, asking: "GoModel") -> "Binding | None":
        """The package-level binding of `name` in a file other than `asking`'s (None: none, or ambiguous)."""
        if self._names is None:
            names: dict[str, "Binding"] = {}
            for model in self.models():
                for binding in model.bindings():
                    if binding.package_level:
                        names.setdefault(binding.name, binding)
            self._names = names
        found = self._names.get(name)
        return found if found is not None and found.model is not asking else None

    def calls(self, name: str) -> Iterator[tuple["GoModel", object]]:
        """(model, call node) for every call of `name` in the package (see GoModel.calls)."""
        for model in self.models():
            for call in model.calls(name):
                yield model, call
