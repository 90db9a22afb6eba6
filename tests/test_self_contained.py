"""The repository stands alone: nothing reads outside it, and CI runs the README's commands."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

# A path that climbs out of the repository to the reference folder beside it: up through "..", a
# `.parent` chain past the root, or an absolute path to that folder's fixtures or specs.
_OUTSIDE = re.compile(
    r"\.\./shared\b|parents\[\d+\]\.parent\b|[\"']shared[\"']\s*/|/shared/(?:fixtures|specs)/"
)
_CHECKED_SUFFIXES = {".py", ".sh", ".toml", ".cfg", ".ini", ".yaml", ".yml", ""}


def _tracked_files() -> list[Path]:
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    return [REPO_ROOT / name for name in listing if name]


def test_no_file_reads_outside_the_repository() -> None:
    offenders = []
    for path in _tracked_files():
        if path.suffix not in _CHECKED_SUFFIXES or "fixtures" in path.parts or not path.is_file():
            continue
        if path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if _OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_pattern_catches_what_it_must() -> None:
    folder = "sha" + "red"  # spelled apart, so this file does not itself look like a reader
    climbing = [
        f'FIXTURES = Path(__file__).resolve().parents[2].parent / "{folder}" / "fixtures"',
        f"open('../{folder}/specs/payloads/x.json')",
        f'SPEC = ROOT.parent / "{folder}" / "specs"',
        f"cat /srv/{folder}/fixtures/a.json",
    ]
    staying = [
        'Path(__file__).resolve().parents[1] / "fixtures" / "slack"',
        '"../etc/passwd" is refused as a time zone',
    ]
    assert all(_OUTSIDE.search(line) for line in climbing)
    assert not any(_OUTSIDE.search(line) for line in staying)


def _quickstart_commands() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text()
    block = re.search(r"^##\s+Quickstart.*?```[a-z]*\n(.*?)```", readme, re.S | re.M)
    assert block, "README.md has no Quickstart code block"
    return [
        line.strip()
        for line in block.group(1).splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def test_ci_runs_the_readme_commands_exactly_as_written() -> None:
    commands = _quickstart_commands()
    assert len(commands) == 2, commands
    ci_lines = [line.strip() for line in (REPO_ROOT / ".ci" / "run").read_text().splitlines()]
    for command in commands:
        assert command in ci_lines, f"{command!r} is not a line of .ci/run"


def test_fixture_folders_say_where_each_file_came_from() -> None:
    for folder in ("vendor-apis", "slack"):
        sources = (REPO_ROOT / "tests" / "fixtures" / folder / "SOURCES.md").read_text()
        for path in (REPO_ROOT / "tests" / "fixtures" / folder).iterdir():
            if path.name != "SOURCES.md" and path.is_file():
                assert path.name in sources, f"{path.name} is not in {folder}/SOURCES.md"
