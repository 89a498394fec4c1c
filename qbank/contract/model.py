"""What a contract component is: its names, with the stub a learner starts from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Name:
    name: str
    component: str
    kind: str  # "function" or "class"
    stub: str  # the signature and docstring a learner starts from

    @property
    def module(self) -> str:
        """Where the reference solution defines it."""
        return f"solutions.{self.component}"


@dataclass(frozen=True)
class Component:
    name: str
    title: str
    summary: str
    names: tuple[Name, ...]
    imports: str = "import torch\nfrom torch import Tensor, nn\n"


def component(name: str, title: str, summary: str, *stubs: tuple[str, str, str]) -> Component:
    return Component(name, title, summary, tuple(Name(n, name, kind, stub.strip("\n") + "\n")
                                                 for n, kind, stub in stubs))
