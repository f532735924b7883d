"""Proofs that a code is *not* in the committed population (format ``shuangsuiji-absence/1``).

A firm that was left out of the register the draw committed to (so it could
never be drawn, nor excluded) can check that too, with the public manifest
alone. The leaves of the population's Merkle tree are in code order
(Unicode code points, as ``docs/formats.md`` says), so a code is absent
exactly when two *adjacent* leaves bracket it: the proof gives those two
neighbours (one at either end, none for an empty population) with their
audit paths. :func:`verify_absence` checks that each neighbour is in the tree,
that they are adjacent, and that their codes bracket the code strictly.

Examples
--------
>>> proof = AbsenceProof("0" * 64, "B", 0, ())
>>> proof.to_dict()["format"]
'shuangsuiji-absence/1'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ._i18n import N_, _
from ._json import Fields, indented_json
from .checks import Recorder, Verification
from .exceptions import ProofError
from .identity import normalise_code
from .merkle import EMPTY_ROOT, audit_path, leaf_hashes, leaf_included
from .proofs import committed_files, committed_leaves, opened_proof

__all__ = ["ABSENCE_FORMAT", "AbsenceProof", "Neighbour", "make_absence_proof", "verify_absence"]

#: Format name and version of a non-membership proof.
ABSENCE_FORMAT = "shuangsuiji-absence/1"


@dataclass(frozen=True)
class Neighbour:
    """A leaf next to where the code would be: its text, position and audit path (hex)."""

    leaf: str
    leaf_index: int
    audit_path: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"leaf": self.leaf, "leaf_index": self.leaf_index, "audit_path": list(self.audit_path)}


@dataclass(frozen=True)
class AbsenceProof:
    """A proof that ``uscc`` is not among the ``tree_size`` committed entities."""

    manifest_sha256: str
    uscc: str
    tree_size: int
    neighbours: tuple[Neighbour, ...]
    format: str = ABSENCE_FORMAT

    def to_dict(self) -> dict[str, Any]:
        """The plain form, keys in the order of the file."""
        return {
            "format": self.format,
            "manifest_sha256": self.manifest_sha256,
            "uscc": self.uscc,
            "tree_size": self.tree_size,
            "neighbours": [n.to_dict() for n in self.neighbours],
        }

    def to_json(self) -> bytes:
        """The file's bytes: indented UTF-8 JSON, as a proof file."""
        return indented_json(self.to_dict())

    @classmethod
    def from_dict(cls, value: object, *, where: str = "proof") -> AbsenceProof:
        """Read a parsed absence proof, checking each field.

        Raises
        ------
        ProofError
            If it is not one, naming the field.
        """
        f = Fields(value, where, ProofError)
        return cls(
            format=f.text("format"),
            manifest_sha256=f.text("manifest_sha256"),
            uscc=f.text("uscc"),
            tree_size=f.integer("tree_size"),
            neighbours=tuple(
                Neighbour(n.text("leaf"), n.integer("leaf_index"), n.texts("audit_path"))
                for n in f.objects("neighbours")
            ),
        )


def _code_key(code: str) -> tuple[int, ...]:
    """Code-point order, the order of the leaves (the same as Python's ``str`` order)."""
    return tuple(map(ord, code))


def make_absence_proof(
    out_dir: str | Path,
    uscc: str,
    *,
    population: str | Path | None = None,
    allow_list: str | Path | None = None,
    salt_key: bytes | None = None,
) -> AbsenceProof:
    """The proof that ``uscc`` is not in the population a published draw committed to.

    Raises
    ------
    ProofError
        If the code *is* in the population (make its proof of fate instead), or the draw
        published no Merkle root.
    """
    manifest, files = committed_files(Path(out_dir), population=population, allow_list=allow_list)
    code = normalise_code(uscc)
    _inputs, ordered, leaves = committed_leaves(manifest, files, salt_key=salt_key)
    codes = ordered["uscc"].tolist()
    at = int(pd.Index(codes).searchsorted(code)) if codes else 0
    if at < len(codes) and codes[at] == code:
        said = _("{uscc!r} is in the population {path}: prove its fate instead.")
        raise ProofError(said.format(uscc=code, path=files.population))
    hashes = leaf_hashes(leaves)
    neighbours = []
    for index in (at - 1, at):
        if 0 <= index < len(codes):
            path = audit_path(hashes, index)
            neighbours.append(Neighbour(str(leaves[index].as_py()), index, tuple(p.hex() for p in path.path)))
    return AbsenceProof(manifest.sha256, code, len(codes), tuple(neighbours))


def _leaf_code(rec: Recorder, n: Neighbour) -> str | None:
    try:
        values = json.loads(n.leaf)
    except json.JSONDecodeError:
        values = None
    if not isinstance(values, dict) or not isinstance(values.get("uscc"), str):
        rec.check(
            N_("leaf {leaf_index} readable").format(leaf_index=n.leaf_index), False, _("not a JSON object with a code")
        )
        return None
    return str(values["uscc"])


def verify_absence(proof: AbsenceProof | object, manifest_bytes: bytes) -> Verification:
    """Check a non-membership proof against the public manifest alone.

    Raises
    ------
    ManifestError
        If the manifest is not a draw manifest.
    """
    rec, manifest, read = opened_proof(proof, manifest_bytes, AbsenceProof, ABSENCE_FORMAT)
    if read is None:
        return rec.done()
    proof = read
    root, size = manifest.population.merkle_root, manifest.population.rows
    if root is None:
        rec.check(N_("Merkle root in the manifest"), False, _("this draw published no Merkle root"))
        return rec.done()
    rec.check(N_("tree size"), proof.tree_size == size, _("{n} committed entities").format(n=size))
    if size == 0:
        rec.check(N_("empty population"), root == EMPTY_ROOT.hex() and not proof.neighbours, _("no entity at all"))
        return rec.done()
    codes: list[str] = []
    for n in proof.neighbours:
        included = leaf_included(n.leaf, n.leaf_index, size, n.audit_path, root)
        said = _("Merkle root {root}").format(root=root)
        rec.check(
            N_("leaf {leaf_index} is in the committed population").format(leaf_index=n.leaf_index), included, said
        )
        code = _leaf_code(rec, n)
        if code is None:
            return rec.done()
        codes.append(code)
    rec.check(N_("absence proved"), _brackets(proof, codes, size), _bracket_text(proof, codes))
    return rec.done()


def _brackets(proof: AbsenceProof, codes: list[str], size: int) -> bool:
    """Whether the neighbours are adjacent leaves (or an end leaf) whose codes bracket the code strictly."""
    key = _code_key(proof.uscc)
    idx = [n.leaf_index for n in proof.neighbours]
    if len(idx) == 2:
        return idx[1] == idx[0] + 1 and _code_key(codes[0]) < key < _code_key(codes[1])
    if len(idx) == 1:
        first, last = idx[0] == 0 and key < _code_key(codes[0]), idx[0] == size - 1 and _code_key(codes[0]) < key
        return first or last
    return False


def _bracket_text(proof: AbsenceProof, codes: list[str]) -> str:
    shown = [f"{n.leaf_index}:{c}" for n, c in zip(proof.neighbours, codes, strict=True)]
    return _("{uscc} between the committed leaves {leaves}").format(uscc=proof.uscc, leaves=shown or [_("none")])
