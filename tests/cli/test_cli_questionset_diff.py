"""`probdesk questionset diff OLD NEW`: the classification, readable and as JSON, and its exit
code by severity (tests/unit/test_qsdiff.py checks the classification itself)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from cli_support import run

from probdesk import bundled

CORE = bundled.question_sets_dir() / "pdu-core.yaml"


def _v2(tmp_path: Path, edit: Any) -> Path:
    data = yaml.safe_load(CORE.read_text(encoding="utf-8"))
    data["version"] = "2026.1-test"
    edit(data)
    out = tmp_path / "pdu-core-v2.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return out


def _first_section(d: dict[str, Any]) -> dict[str, Any]:
    return d["sections"][0]  # type: ignore[no-any-return]  # yaml data


def test_no_differences_exit_0() -> None:
    code, out, err = run("questionset", "diff", CORE, CORE)
    assert code == 0, err
    assert "no differences" in out


def test_wording_only_exit_1_and_names_the_question(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        _first_section(d)["prompts"][0]["text"] = "Reworded?"

    code, out, _ = run("questionset", "diff", CORE, _v2(tmp_path, edit))
    assert code == 1
    assert "2.1.1.a (s2-1-1): wording changed" in out
    assert "answers carry over" in out


def test_dropped_question_exit_3(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        del _first_section(d)["prompts"][2]

    code, out, _ = run("questionset", "diff", CORE, _v2(tmp_path, edit))
    assert code == 3
    assert "2.1.1.c (s2-1-1): dropped" in out


def test_incompatible_exit_4_and_json(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        _first_section(d)["prompts"][1]["answer"] = "yes_no_na"
        _first_section(d)["prompts"][0]["guidance"] = "New guidance."

    v2 = _v2(tmp_path, edit)
    code, out, _ = run("questionset", "diff", CORE, v2)
    assert code == 4
    assert "2.1.1.b (s2-1-1): answer type changed  INCOMPATIBLE" in out
    assert "answer type yes_no -> yes_no_na" in out
    code, out, _ = run("questionset", "diff", CORE, v2, "--format", "json")
    assert code == 4
    data = json.loads(out)
    assert data["severity"] == "incompatible"
    assert data["new"] == {"id": "pdu-core", "version": "2026.1-test"}
    by_id = {q["id"]: q for q in data["questions"]}
    assert by_id["2.1.1.b"]["changes"] == ["answer type changed"]
    assert by_id["2.1.1.a"]["changes"] == ["guidance changed"]
    assert by_id["2.1.1"]["changes"] == ["unchanged"]


def test_an_invalid_file_is_refused_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    code, out, err = run("questionset", "diff", CORE, bad)
    assert code == 2
    assert "bad.yaml" in err
    assert out == ""
