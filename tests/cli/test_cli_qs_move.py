"""`probdesk setup-pack create --inspection ID --question-set NEW`: the preview, the refusal of
incompatible ids without --accept-incompatible (nothing changes), the move, and the laptop
that opens the new revision saying what moved (#15, item 1)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from cli_support import run

from probdesk import bundled

DIPP = bundled.question_sets_dir() / "dipp-public-protection.yaml"
ENV = {"PROBDESK_PASSPHRASE": "correct horse battery staple"}
SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "fieldwork" / "sample.csv"


def _v2(tmp_path: Path, incompatible: bool) -> Path:
    data: dict[str, Any] = yaml.safe_load(DIPP.read_text(encoding="utf-8"))
    data["version"] = "2027.1-test"
    first = data["sections"][0]
    first["prompts"][0]["text"] = "Reworded for the test?"
    if incompatible:
        first["prompts"][1]["answer"] = "yes_no_na"
    out = tmp_path / "dipp-v2.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return out


def _lead(tmp_path: Path) -> tuple[Path, str]:
    lead = tmp_path / "lead"
    done = run(
        "--data-dir", lead, "setup-pack", "create", "--region", "South West",
        "--pdu", "Plymouth", "--pdu", "Cornwall", "--start", "2026-11-02",
        "--end", "2026-11-06", "--question-set", DIPP, "--assessor", "AB:inspector",
        "--assessor", "EF:local_assessor", "--sample", SAMPLE, "--lead-name", "TL",
        "--out", tmp_path / "shared", env=ENV,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [iid] = re.findall(r"inspection (\S+) created", done.stdout)
    return lead, iid


def _move(lead: Path, iid: str, v2: Path, out: Path, *more: str) -> Any:
    return run(
        "--data-dir", lead, "setup-pack", "create", "--inspection", iid,
        "--question-set", v2, "--lead-name", "TL", "--out", out, *more, env=ENV,
    )  # fmt: skip


def test_preview_refusal_and_move(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    lead, iid = _lead(tmp_path)
    v2 = _v2(tmp_path, incompatible=True)
    shown = _move(lead, iid, v2, tmp_path / "shared", "--preview")
    assert shown.returncode == 0
    assert "answer type changed  INCOMPATIBLE" in shown.stdout
    assert "Cases:" in shown.stdout
    assert re.search(r"\d+ of \d+ cases? needs? the assessor's review", shown.stdout)
    refused = _move(lead, iid, v2, tmp_path / "shared")
    assert refused.returncode == 2
    assert "reuses ids" in refused.stderr and "Nothing was changed" in refused.stderr
    assert "setup pack:" not in refused.stdout
    still = _move(lead, iid, v2, tmp_path / "shared", "--preview")  # still on the old one
    assert still.returncode == 0 and "2025.10-illustrative -> " in still.stdout
    moved = _move(lead, iid, v2, tmp_path / "shared", "--accept-incompatible")
    assert moved.returncode == 0, moved.stderr
    assert f"inspection {iid} moved to dipp-public-protection 2027.1-test" in moved.stdout
    assert "setup pack:" in moved.stdout
    again = _move(lead, iid, v2, tmp_path / "shared", "--preview")
    assert again.returncode == 2
    assert "already uses" in again.stderr


def test_the_assessor_laptop_follows_and_says_what_to_review(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    lead, iid = _lead(tmp_path)
    first_pack = sorted((tmp_path / "shared").glob("pd-setup-*"))[-1]
    ab = tmp_path / "ab"
    opened = run("--data-dir", ab, "setup-pack", "open", first_pack, "--as", "AB", env=ENV)
    assert opened.returncode == 0, opened.stderr
    assert "question set moved" not in opened.stdout
    out = tmp_path / "rev2"
    out.mkdir()
    moved = _move(lead, iid, _v2(tmp_path, incompatible=False), out)
    assert moved.returncode == 0, moved.stderr
    [pack] = out.glob("pd-setup-*")
    followed = run("--data-dir", ab, "setup-pack", "open", pack, "--as", "AB", env=ENV)
    assert followed.returncode == 0, followed.stderr
    assert "question set moved from version 2025.10-illustrative to 2027.1-test" in (
        followed.stdout
    )
    assert "every answer is kept" in followed.stdout
