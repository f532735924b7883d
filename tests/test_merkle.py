"""RFC 6962 Merkle trees: the certificate-transparency reference vectors, the RFC's own recursive
definition on every size up to 40, audit paths, streaming, and leaves."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
import rfc8785
from hypothesis import given, strategies as st

from shuangsuiji import InputError, check_population, parse_plan
from shuangsuiji.merkle import (
    LEAF_FORMAT,
    LEAF_FORMAT_1,
    AuditPath,
    StreamingAuditPath,
    StreamingRoot,
    audit_path,
    leaf_fields,
    leaf_hashes,
    leaf_table,
    merkle_root,
    population_leaves,
    verify_audit_path,
)
from shuangsuiji.roots import entity_leaves, population_root

# Test data of the certificate-transparency project (its Python merkle tests and Trillian's
# logProofTestVector): leaves d0..d7 as hex, the root of the first n for n = 1..8, and two
# inclusion proofs in the 8-leaf tree.
LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
PROOF_0_OF_8 = [
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
]
PROOF_5_OF_8 = [
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
]


def naive_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, literally."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1 << (len(leaves) - 1).bit_length() - 1
    return hashlib.sha256(b"\x01" + naive_root(leaves[:k]) + naive_root(leaves[k:])).digest()


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 6962 section 2.1.1 PATH(m, D[n]), literally."""
    if len(leaves) == 1:
        return []
    k = 1 << (len(leaves) - 1).bit_length() - 1
    if m < k:
        return [*naive_path(m, leaves[:k]), naive_root(leaves[k:])]
    return [*naive_path(m - k, leaves[k:]), naive_root(leaves[:k])]


@pytest.mark.parametrize("n", range(1, 9))
def test_reference_roots(n: int) -> None:
    assert merkle_root(LEAVES[:n]).hex() == ROOTS[n - 1]


def test_empty_tree() -> None:
    assert merkle_root([]) == hashlib.sha256(b"").digest()
    assert StreamingRoot().root() == hashlib.sha256(b"").digest()


@pytest.mark.parametrize(("index", "expected"), [(0, PROOF_0_OF_8), (5, PROOF_5_OF_8)])
def test_reference_inclusion_proofs(index: int, expected: list[str]) -> None:
    hashes = leaf_hashes(LEAVES)
    proof = audit_path(hashes, index)
    assert [p.hex() for p in proof.path] == expected
    assert verify_audit_path(hashes[index].tobytes(), proof, bytes.fromhex(ROOTS[7]))


@pytest.mark.parametrize("n", range(1, 41))
def test_every_size_matches_the_rfc_definition_and_every_path_verifies(n: int) -> None:
    leaves = [f"leaf-{i}".encode() for i in range(n)]
    hashes = leaf_hashes(leaves)
    root = merkle_root(hashes=hashes)
    assert root == naive_root(leaves)
    for m in range(n):
        proof = audit_path(hashes, m)
        assert list(proof.path) == naive_path(m, leaves)
        assert verify_audit_path(hashes[m].tobytes(), proof, root)


@given(st.integers(1, 70), st.data())
def test_streamed_audit_paths_equal_the_rfc_paths(n: int, data: st.DataObject) -> None:
    leaves = [f"leaf-{i}".encode() for i in range(n)]
    hashes = leaf_hashes(leaves)
    m = data.draw(st.integers(0, n - 1))
    stream = StreamingAuditPath(m, n)
    cuts = sorted(set(data.draw(st.lists(st.integers(1, n - 1), max_size=6)) if n > 1 else []))
    for a, b in zip([0, *cuts], [*cuts, n], strict=True):
        stream.add(a, hashes[a:b])
    assert list(stream.path().path) == naive_path(m, leaves)


def test_streamed_audit_path_errors() -> None:
    hashes = leaf_hashes([b"a", b"b", b"c"])
    stream = StreamingAuditPath(1, 3)
    with pytest.raises(ValueError, match="expected leaf 0"):
        stream.add(1, hashes[1:])
    stream.add(0, hashes[:2])
    with pytest.raises(ValueError, match="2 of 3 leaves"):
        stream.path()
    with pytest.raises(InputError, match="is not in a tree"):
        StreamingAuditPath(3, 3)


def test_tampered_proofs_fail() -> None:
    leaves = [bytes([i]) for i in range(11)]
    hashes = leaf_hashes(leaves)
    root = merkle_root(hashes=hashes)
    proof = audit_path(hashes, 6)
    leaf = hashes[6].tobytes()
    assert verify_audit_path(leaf, proof, root)
    assert not verify_audit_path(hashes[5].tobytes(), proof, root)  # another leaf
    assert not verify_audit_path(leaf, AuditPath(5, 11, proof.path), root)  # another index
    # A path does not always bind the tree size (for leaf 6, trees of 11 and 12 leaves share its
    # shape), so verifiers take the size from the manifest; a size of another shape fails.
    assert not verify_audit_path(leaf, AuditPath(6, 17, proof.path), root)
    assert not verify_audit_path(leaf, AuditPath(6, 11, proof.path[:-1]), root)  # short
    assert not verify_audit_path(leaf, AuditPath(6, 11, (*proof.path, proof.path[0])), root)  # long
    assert not verify_audit_path(leaf, AuditPath(11, 11, proof.path), root)  # out of range
    flipped = bytes([proof.path[0][0] ^ 1]) + proof.path[0][1:]
    assert not verify_audit_path(leaf, AuditPath(6, 11, (flipped, *proof.path[1:])), root)
    with pytest.raises(InputError, match="is not in a tree"):
        audit_path(hashes, 11)


@given(st.integers(0, 300), st.lists(st.integers(1, 70), min_size=1, max_size=8))
def test_streaming_equals_whole(n: int, batches: list[int]) -> None:
    hashes = leaf_hashes([i.to_bytes(4, "big") for i in range(n)])
    stream = StreamingRoot()
    i = 0
    while i < n:
        for b in batches:
            stream.add(hashes[i : i + b])
            i += b
    assert stream.count == n
    assert stream.root() == merkle_root(hashes=hashes)


def test_large_tree_uses_parallel_hashing_and_agrees() -> None:
    leaves = [i.to_bytes(4, "big") for i in range(150_001)]  # above the parallel threshold
    assert merkle_root(leaves) == merkle_root(hashes=leaf_hashes(leaves, workers=1))


def test_leaves_are_rfc8785_json_of_the_fields_the_draw_reads() -> None:
    plan = parse_plan(
        {
            "id": "P",
            "tasks": [
                {
                    "id": "T",
                    "department": "d",
                    "items": ["i"],
                    "ratio": "0.1",
                    "strata": ["credit_class", "region"],
                    "where": {"industry": ["C*"]},
                }
            ],
        }
    )
    frame = pd.DataFrame(
        {"uscc": ["A1"], "name": ["甲"], "credit_class": ["B"], "region": ['41"\\'], "industry": ["C1"], "x": ["?"]}
    )
    fields = leaf_fields(plan, frame.columns)
    assert fields == ("credit_class", "industry", "region", "uscc")  # no name, no unused column
    leaf = population_leaves(frame, fields).to_pylist()[0]
    assert leaf.encode() == rfc8785.dumps(json.loads(leaf))
    assert json.loads(leaf) == {"credit_class": "B", "industry": "C1", "region": '41"\\', "uscc": "A1"}


def test_leaf_format_2_records_the_register_class_beside_the_class_drawn() -> None:
    """Golden leaves of format 2, written out by hand from docs/ceremony.md."""
    plan = parse_plan(
        {
            "id": "P",
            "credit": {"missing": "C"},
            "tasks": [{"id": "T", "department": "d", "items": ["i"], "ratio": "0.1", "strata": ["credit_class"]}],
        }
    )
    population = check_population(
        pd.DataFrame({"uscc": ["91110000600037341L", "9144030071526726XG"], "credit_class": ["", "A"]}), plan
    )
    _, leaves = entity_leaves(population.frame, ("credit_class", "uscc"), plan, register=population.register)
    assert leaves.to_pylist() == [
        '{"#register:credit_class":"","credit_class":"C","uscc":"91110000600037341L"}',
        '{"#register:credit_class":"A","credit_class":"A","uscc":"9144030071526726XG"}',
    ]
    _, old = entity_leaves(population.frame, ("credit_class", "uscc"), plan, leaf_format=LEAF_FORMAT_1)
    assert old.to_pylist()[0] == '{"credit_class":"C","uscc":"91110000600037341L"}'  # format 1: the class drawn only
    record = population_root(population, plan)
    assert record.leaf_format == LEAF_FORMAT == "shuangsuiji-leaf/2"
    assert record.merkle_root == merkle_root([leaf.encode() for leaf in leaves.to_pylist()]).hex()
    assert population_root(population, plan, leaf_format=LEAF_FORMAT_1).merkle_root != record.merkle_root


def test_leaf_format_2_orders_keys_by_utf16_as_rfc8785_does() -> None:
    frame = pd.DataFrame({"uscc": ["X"], "\uff71": ["a"], "\U00020000": ["b"]})
    table, keys = leaf_table(frame, ["uscc", "\uff71", "\U00020000"])
    assert keys == ("uscc", "\U00020000", "\uff71")  # U+20000 is D840 DC00 in UTF-16, below U+FF71
    leaf = population_leaves(table, keys, ordered=True).to_pylist()[0]
    assert leaf.encode() == rfc8785.dumps(json.loads(leaf))
    assert leaf_table(frame, ["uscc", "\uff71", "\U00020000"], leaf_format=LEAF_FORMAT_1)[1][1:] == (
        "\uff71",
        "\U00020000",
    )  # format 1: code points
    with pytest.raises(InputError, match="Unknown Merkle leaf format"):
        leaf_table(frame, ["uscc"], leaf_format="leaf/9")
