"""The `congress` command: every command works, every refusal is one clear line and exit 1."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
from click.testing import CliRunner

from congress.cli import build_cli
from congress.settings import Settings


def cli_env(settings: Settings) -> dict[str, str]:
    env = {"CONGRESS_HOME": str(settings.home), "CONGRESS_SECRET_KEY": "cli-test"}
    if not settings.is_sqlite:
        env["CONGRESS_DATABASE_URL"] = settings.database_url
    return env


def run(settings: Settings, *args: str, input: str | None = None, lang: str = "en"):  # type: ignore[no-untyped-def]
    env = dict(cli_env(settings), CONGRESS_LANGUAGE=lang)
    return CliRunner().invoke(build_cli(), list(args), env=env, input=input, catch_exceptions=False)


def test_init_is_safe_to_run_again(blank_settings: Settings) -> None:
    first = run(blank_settings, "init")
    assert first.exit_code == 0, first.output
    again = run(blank_settings, "init")
    assert again.exit_code == 0, again.output
    assert "database ready" in again.output


def test_commands_before_init_name_the_command(blank_settings: Settings) -> None:
    blank_settings.home.mkdir(parents=True)
    result = run(blank_settings, "congresses", "list", "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("congress: ")
    assert "run `congress init`" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_refusal_is_in_vietnamese_by_default(blank_settings: Settings) -> None:
    blank_settings.home.mkdir(parents=True)
    result = run(blank_settings, "congresses", "list", lang="vi")
    assert result.exit_code == 1
    assert "hãy chạy `congress init`" in result.stderr


def test_congresses_create_list_and_unknown_congress(settings: Settings) -> None:
    created = run(
        settings,
        "congresses",
        "create",
        "--slug",
        "hanoi-2027",
        "--name",
        "Đại hội đại biểu Đoàn TNCS Hồ Chí Minh thành phố Hà Nội lần thứ XVII",
        "--starts",
        "12/05/2027",
        "--ends",
        "2027-05-14",
        "--venue",
        "Cung Văn hóa",
        "--json",
    )
    assert created.exit_code == 0, created.output
    assert json.loads(created.stdout)["starts_on"] == "2027-05-12"
    listed = json.loads(run(settings, "congresses", "list", "--json").stdout)
    assert [c["slug"] for c in listed] == ["hanoi-2027"]
    assert listed[0]["name"].endswith("Hà Nội lần thứ XVII")
    duplicate = run(
        settings,
        "congresses",
        "create",
        "--slug",
        "hanoi-2027",
        "--name",
        "X",
        "--starts",
        "2027-05-12",
    )
    assert duplicate.exit_code == 1
    unknown = run(settings, "delegates", "list", "--congress", "no-such", "--json")
    assert unknown.exit_code == 1
    assert unknown.stdout == ""
    assert "no-such" in unknown.stderr


def test_users_add_generates_a_password_once_and_lists(settings: Settings) -> None:
    added = run(settings, "users", "add", "kiemphieu1", "--role", "counting", "--generate")
    assert added.exit_code == 0, added.output
    password = added.stdout.strip().split()[-1]
    assert len(password) >= 12
    users = json.loads(run(settings, "users", "list", "--json").stdout)
    assert users == [{"username": "kiemphieu1", "roles": ["counting"], "active": True}]
    bad_role = run(settings, "users", "add", "x", "--role", "king", "--generate")
    assert bad_role.exit_code != 0
    assert len(json.loads(run(settings, "users", "list", "--json").stdout)) == 1


def test_prompted_password_is_confirmed(settings: Settings) -> None:
    result = run(
        settings,
        "users",
        "add",
        "bantochuc",
        "--role",
        "organizer",
        input="mật khẩu dài 2027\nmật khẩu dài 2027\n",
    )
    assert result.exit_code == 0, result.output
    assert "mật khẩu dài 2027" not in result.stdout


def test_delegates_import_and_list(settings: Settings, tmp_path: Path) -> None:
    run(
        settings,
        "congresses",
        "create",
        "--slug",
        "hue-2027",
        "--name",
        "Đại hội",
        "--starts",
        "2027-03-01",
    )
    good = tmp_path / "ds.csv"
    good.write_text(
        "\ufeffHọ và tên;Ngày sinh;Giới tính;Đoàn đại biểu;Chức vụ\n"
        "Nguyễn Văn An;01/02/1990;Nam;Đoàn Phú Vang;Bí thư\n"
        "Trần Thị Bình;1992-03-04;Nữ;Đoàn Hương Thủy;Phó Bí thư\n",
        encoding="utf-8",
    )
    imported = run(settings, "delegates", "import", str(good), "--congress", "hue-2027", "--json")
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["new"] == 2
    names = [
        d["full_name"]
        for d in json.loads(
            run(settings, "delegates", "list", "--congress", "hue-2027", "--json").stdout
        )
    ]
    assert names == ["Nguyễn Văn An", "Trần Thị Bình"]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Họ và tên,Ngày sinh,Đoàn đại biểu\nLê Văn Cường,31/02/1990,Đoàn A\n", encoding="utf-8"
    )
    refused = run(settings, "delegates", "import", str(bad), "--congress", "hue-2027")
    assert refused.exit_code == 1
    assert "line 2" in refused.stderr
    listed = run(settings, "delegates", "list", "--congress", "hue-2027", "--json").stdout
    assert len(json.loads(listed)) == 2


def test_data_directory_that_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    env = {"CONGRESS_HOME": str(blocker / "home"), "CONGRESS_LANGUAGE": "en"}
    result = CliRunner().invoke(build_cli(), ["init"], env=env, catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("congress: The data directory")
    assert "cannot be written" in result.stderr


def test_demo_builds_the_demo_congress(blank_settings: Settings) -> None:
    # A small congress: the whole story runs (the quick start's 500 delegates take minutes).
    built = run(blank_settings, "demo", "--delegates", "12")
    assert built.exit_code == 0, built.output
    listed = json.loads(
        run(blank_settings, "delegates", "list", "--congress", "demo", "--json").stdout
    )
    assert len(listed) == 12
    home = blank_settings.home
    for name in ("demo-credentials.txt", "demo-badges.pdf", "demo-ballots.pdf",
                 "demo-minutes.pdf", "demo-bundle.zip"):  # fmt: skip
        assert (home / name).stat().st_size > 0, name
    # The demo recounts its own bundle from the images and fails when it does not match.
    assert "recounted every image: it matches" in built.output
    # The demo audits its count by hand with a fixed seed and prints the conclusion.
    audited = next(line for line in built.output.splitlines() if line.startswith("audit: seed"))
    assert "27182818284590452353" in audited
    assert audited.endswith(("within the risk limit", "it elects the same candidates")), audited
    # A progress bar per step of the story, in plain lines here (no terminal): each step's
    # last line is its full bar.
    steps = ("register", "badges", "documents", "check-in", "ballots printed",
             "ballots filled and scanned", "scanner station", "count closed, sealed, minutes",
             "verify: every image read again")  # fmt: skip
    for step in steps:
        assert re.search(rf"^{re.escape(step)}  \[#{{24}}\]  (\d+)/\1  ", built.output, re.M), step
    # The scans are written once: the tray's files are the file store's images (hard links),
    # and the exported bundle is the sealed one.
    scans = [p for p in (home / "demo-scans" / "done").iterdir() if p.suffix in (".pdf", ".jpg")]
    assert scans and all(p.stat().st_nlink == 2 for p in scans)
    assert (home / "demo-bundle.zip").stat().st_nlink == 2
    # Nothing written through a link: every stored file still has the content its name says
    # (the audited bundle was once copied over the link to the sealed one).
    import hashlib

    stored = [f for f in (home / "files").rglob("*") if f.is_file()]
    assert stored and all(hashlib.sha256(f.read_bytes()).hexdigest() == f.name for f in stored)
    # The minutes are written again once the hand audit concludes: they print it.
    import pypdfium2

    minutes = pypdfium2.PdfDocument((home / "demo-minutes.pdf").read_bytes())
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in minutes)
    finally:
        minutes.close()
    assert "Kiểm tra xác suất bằng tay" in text
    shown = json.loads(run(blank_settings, "docs", "list", "--congress", "demo", "--json").stdout)
    assert len(shown) == 6
    again = run(blank_settings, "demo", "--delegates", "12")
    assert again.exit_code == 0, again.output
    relisted = run(blank_settings, "delegates", "list", "--congress", "demo", "--json").stdout
    assert len(json.loads(relisted)) == 12


def test_python_dash_m_runs_the_command_with_every_capability(tmp_path: Path) -> None:
    # `python -m congress.cli` used to fail on a circular import (the module ran twice).
    import subprocess
    import sys

    for module in ("congress", "congress.cli"):
        done = subprocess.run(
            [sys.executable, "-m", module, "--help"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        listed = done.stdout.split("Commands:", 1)[1].splitlines()
        commands = {line.split()[0] for line in listed if line.startswith("  ")}
        assert {"badges", "ballots", "docs", "station", "gate", "demo"} <= commands, done.stdout


CLI_MODULES = (
    "congress.cli",
    "congress.cli_frame",
    "congress.cli_staff",
    "congress.cli_congresses",
    "badges.cli",
    "docs_portal.cli",
    "ballots.cli",
    "ballots.counting.cli",
    "ballots.proof.cli",
    "ballots.audit.cli",
    "scanner.cli",
    "badges.plugin",
    "docs_portal.plugin",
    "ballots.plugin",
    "scanner.plugin",
)


def test_every_cli_module_imports_first_in_a_fresh_interpreter() -> None:
    # Building the command is a call (`build_cli`), not an import side effect: no module of the
    # command may need another to have been imported before it (`ballots.proof.cli` once did).
    import subprocess
    import sys

    orders = [(module,) for module in CLI_MODULES] + [tuple(reversed(CLI_MODULES))]
    started = {
        order: subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"import {', '.join(order)}, congress.cli; congress.cli.build_cli()",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for order in orders
    }
    for order, process in started.items():
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"import {', '.join(order)}: {err}"


def test_build_cli_mounts_the_core_and_every_capability_afresh() -> None:
    first, second = build_cli(), build_cli()
    assert first is not second
    assert set(first.commands) == set(second.commands) == {
        "init", "serve", "users", "tokens", "congresses", "sittings", "delegates", "demo",
        "badges", "docs", "checkin", "gate", "station", "elections", "ballots",
    }  # fmt: skip
    ballots = first.commands["ballots"]
    assert isinstance(ballots, click.Group)
    assert {"count", "export", "verify", "print", "read"} <= set(ballots.commands)


def test_a_gate_or_station_name_too_long_is_refused_not_cut(tmp_path: Path) -> None:
    gate = CliRunner().invoke(
        build_cli(),
        ["gate", "--server", "http://127.0.0.1:9", "--token", "t", "--congress", "x",
         "--sitting", "1", "--gate", "G" * 61, "--headless"],
    )  # fmt: skip
    assert gate.exit_code == 2
    assert "at most 60 characters" in gate.stderr
    station = CliRunner().invoke(
        build_cli(),
        ["station", "--local", "--election", "1", "--watch", str(tmp_path), "--name", "S" * 81],
    )
    assert station.exit_code == 2
    assert "at most 80 characters" in station.stderr


def test_delegates_import_exits_non_zero_unless_every_row_is_good(
    settings: Settings, tmp_path: Path
) -> None:
    # A script imports and then prints badges: it must be able to tell from the exit code that
    # nothing was imported, with --dry-run too; the --json of a good import is unchanged.
    run(settings, "congresses", "create", "--slug", "hue-2027", "--name", "Đại hội", "--starts", "2027-03-01")  # fmt: skip
    good = tmp_path / "ds.csv"
    good.write_text(
        "Họ và tên,Ngày sinh,Đoàn đại biểu\nNguyễn Văn An,01/02/1990,Đoàn A\n", encoding="utf-8"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Họ và tên,Ngày sinh,Đoàn đại biểu\nLê Văn Cường,31/02/1990,Đoàn A\n", encoding="utf-8"
    )
    changed = tmp_path / "changed.csv"
    changed.write_text(
        "Họ và tên,Ngày sinh,Đoàn đại biểu\nNguyễn Văn An,01/02/1990,Đoàn B\n", encoding="utf-8"
    )

    def imports(path: Path, *options: str):  # type: ignore[no-untyped-def]
        return run(settings, "delegates", "import", str(path), "--congress", "hue-2027", *options)

    def count() -> int:
        listed = run(settings, "delegates", "list", "--congress", "hue-2027", "--json")
        return len(json.loads(listed.stdout))

    checked = imports(good, "--dry-run", "--json")
    assert checked.exit_code == 0 and json.loads(checked.stdout)["applied"] is False
    assert count() == 0
    for options in ((), ("--json",), ("--dry-run",), ("--dry-run", "--json")):
        refused = imports(bad, *options)
        assert refused.exit_code == 1, options
        assert refused.stdout.strip() == "" and "line 2" in refused.stderr
    assert count() == 0
    assert imports(good).exit_code == 0 and count() == 1
    # A row that differs from the register, without --update: refused, also as a dry run.
    for options in ((), ("--dry-run",)):
        differs = imports(changed, *options)
        assert differs.exit_code == 1 and "Đoàn B" in differs.stderr
    # --update asked, then declined: nothing applied, not a success.
    declined = run(
        settings, "delegates", "import", str(changed), "--congress", "hue-2027", "--update",
        input="n\n",
    )  # fmt: skip
    assert declined.exit_code == 1
    assert (
        json.loads(run(settings, "delegates", "list", "--congress", "hue-2027", "--json").stdout)[
            0
        ]["delegation"]
        == "Đoàn A"
    )
    for command in (("delegates", "import"), ("delegates", "photos")):
        assert "Exit codes" in run(settings, *command, "--help").stdout, command
