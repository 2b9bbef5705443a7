"""`congress ballots verify`: no database, no data directory, translated lines, exit code 1 on any difference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ballots.proof.bundle import write_bundle
from ballots.reading.synth import make_election
from congress.cli import build_cli
from tests.ballots.test_bundle import build_input


@pytest.fixture(scope="module")
def bundle_zip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    election = make_election("strike", 5, seats=3, seed=11, seal_required=False)
    out = tmp_path_factory.mktemp("cli") / "bundle.zip"
    root = write_bundle(build_input(election), election.private_key, out)
    import base64

    key = base64.b64encode(election.private_key.public_key().public_bytes_raw()).decode()  # type: ignore[attr-defined]
    return out, root, key


def _verify(tmp_path: Path, *args: str, lang: str | None = None):  # type: ignore[no-untyped-def]
    home = tmp_path / "no-such-home"
    env = {"CONGRESS_HOME": str(home), "CONGRESS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}
    if lang:
        env["CONGRESS_LANGUAGE"] = lang
    result = CliRunner().invoke(
        build_cli(), ["ballots", "verify", *args], env=env, catch_exceptions=False
    )
    assert not home.exists()  # nothing was created: no data directory, no database
    return result


def test_verify_passes_in_vietnamese_by_default(
    bundle_zip: tuple[Path, str, str], tmp_path: Path
) -> None:
    path, root, key = bundle_zip
    result = _verify(tmp_path, str(path))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines == [
        f"✓ Chữ ký: hợp lệ, khóa Ed25519 {key}",
        f"✓ Mã băm: 17 tệp khớp với bản kê; gốc Merkle {root}",
        "✓ Đọc lại từ đầu 6 ảnh phiếu: 6 kết quả đọc giống bản đã ghi",
        "✓ Kết quả kiểm phiếu: tính lại từ 5 phiếu được kiểm, khớp với kết quả đã ghi",
        "Gói kiểm chứng hợp lệ: kết quả kiểm lại khớp với kết quả đã ghi.",
    ]
    pinned = _verify(tmp_path, str(path), "--public-key", key, "--lang", "en", "--json")
    assert pinned.exit_code == 0
    data = json.loads(pinned.stdout)
    assert data["ok"] is True and data["root"] == root and data["differences"] == []
    assert [c["code"] for c in data["checks"]] == [
        "signature_ok",
        "hashes_ok",
        "reread",
        "tally_ok",
    ]
    assert data["checks"][3]["message"] == (
        "Tally: recomputed from 5 counted ballots, it matches the recorded one"
    )


def test_verify_lists_every_difference_and_exits_non_zero(
    bundle_zip: tuple[Path, str, str], tmp_path: Path
) -> None:
    import zipfile

    path, _, _ = bundle_zip
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "tally.json":
                data = json.loads(body)
                data["ballots"]["valid"] += 1
                data["candidates"][2]["votes"] -= 1
                body = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
            target.writestr(info, body)
    result = _verify(tmp_path, str(tampered), lang="en")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-4:] == [
        "✗ tally.json: its SHA-256 differs from the manifest",
        "✗ Tally ballots.valid: recorded 5, recomputed 4",
        "✗ Tally candidates[2].votes: recorded 2, recomputed 3",
        "3 differences: the bundle does NOT verify.",
    ]
    vi = _verify(tmp_path, str(tampered))
    assert (
        vi.exit_code == 1
        and vi.stdout.splitlines()[-1] == "3 chỗ khác biệt: gói kiểm chứng KHÔNG hợp lệ."
    )


def test_verify_refuses_what_is_not_a_bundle(tmp_path: Path) -> None:
    missing = _verify(tmp_path, str(tmp_path / "nothing.zip"))
    assert missing.exit_code == 1 and missing.stdout == ""
    assert (
        missing.stderr.strip()
        == f"congress: Không có gói kiểm chứng tại {tmp_path / 'nothing.zip'}"
    )
    bad_key = _verify(tmp_path, str(tmp_path), "--public-key", "abc", "--lang", "en")
    assert bad_key.exit_code == 1 and "abc is not an Ed25519 public key" in bad_key.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = _verify(tmp_path, str(empty), "--lang", "en")
    assert nothing.exit_code == 1
    assert "This is not an audit bundle (no valid manifest)" in nothing.stdout


def test_verify_json_of_a_bundle_that_does_not_match_exits_non_zero(
    bundle_zip: tuple[Path, str, str], tmp_path: Path
) -> None:
    # Another congress's key: the bundle is read, its signature does not match. A script reads
    # the verdict from --json AND the exit code; both say "not good".
    import base64

    from congress.keys import generate_private_key

    path, _, _ = bundle_zip
    stranger = generate_private_key().public_key().public_bytes_raw()
    key = base64.b64encode(stranger).decode()
    result = _verify(tmp_path, str(path), "--public-key", key, "--json", "--lang", "en")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["differences"]
    assert set(data) == {"ok", "root", "checks", "differences"}
    assert "Exit codes" in _verify(tmp_path, "--help").stdout
