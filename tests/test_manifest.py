"""The manifest: canonical JSON, contents, and independence from the machine."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd

from shuangsuiji import InputFile, canonical_json, draw, draw_manifest, write_draw

from .conftest import GOLDEN_SEED


def test_canonical_json_is_rfc8785() -> None:
    # RFC 8785: keys sorted by UTF-16 code units, no white space, UTF-8 strings.
    assert canonical_json({"b": [1, True, None], "a": "洛阳", "é": 1, "z": 2}) == (
        '{"a":"洛阳","b":[1,true,null],"z":2,"é":1}'.encode()
    )


def test_manifest_contents(golden_population: pd.DataFrame, golden_plan: Any, tmp_path: Path) -> None:
    result = draw(golden_population, golden_plan, GOLDEN_SEED)
    m = draw_manifest(result).to_dict()
    assert m["algorithm"] == "shuangsuiji-draw/1" and m["seed"] == {"value": GOLDEN_SEED, "mode": "seed"}
    t1 = m["tasks"][0]
    assert (t1["id"], t1["scope"], t1["ratio"], t1["floor_binding"], t1["sample"]) == ("T1", "GV-1", "4/19", True, 5)
    assert t1["strata"][2] == {
        "label": "credit_class=C",
        "population": 4,
        "multiplier": "2",
        "take_all": False,
        "quota": "32/19",
        "sample": 2,
        "threshold": "9e1c5fe19fe85fca7214c67e4cfb4c6e522094416eaeec3a484adfa39a99a7de",
    }
    assert m["tasks"][1]["scope"] == "GV-1.T2"


def test_write_draw_records_relative_inputs(
    golden_population: pd.DataFrame, golden_plan: Any, tmp_path: Path, vectors: Path
) -> None:
    result = draw(golden_population, golden_plan, GOLDEN_SEED)
    out = tmp_path / "out"
    digest = write_draw(result, out, inputs={"plan": InputFile.of(vectors / "golden_plan.toml", out)}).sha256
    data = (out / "manifest.json").read_bytes()
    assert hashlib.sha256(data).hexdigest() == digest
    assert (out / "manifest.sha256").read_text() == f"{digest}  manifest.json\n"
    m = json.loads(data)
    assert not Path(m["inputs"]["plan"]["path"]).is_absolute()
    assert canonical_json(m) == data
    assert b"\n" not in data and b"time" not in data
