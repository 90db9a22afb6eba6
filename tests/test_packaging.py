"""The locks, the container set-up and the licence agree with pyproject.toml and the Procfile."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import tomllib
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.cli import build_parser

REPO_ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
STALE = "is behind pyproject.toml: run scripts/lock"


@dataclass(frozen=True)
class Pin:
    """One `name==version ; marker` line of a lock file and its hashes."""

    requirement: Requirement
    hashes: tuple[str, ...]

    @property
    def version(self) -> str:
        return str(self.requirement.specifier).removeprefix("==")


def lock(name: str) -> dict[str, list[Pin]]:
    """The pins of a lock file, by normalised package name."""
    text = (REPO_ROOT / name).read_text().replace("\\\n", " ")
    pins: dict[str, list[Pin]] = {}
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        spec, *_ = line.split(" --hash=")
        requirement = Requirement(spec)
        pin = Pin(requirement, tuple(re.findall(r"--hash=sha256:([0-9a-f]{64})", line)))
        pins.setdefault(canonicalize_name(requirement.name), []).append(pin)
    return pins


def locked_version(pins: dict[str, list[Pin]], name: str) -> str | None:
    """The version a lock installs here (pins may differ by Python version), if any."""
    for pin in pins.get(canonicalize_name(name), []):
        marker = pin.requirement.marker
        if marker is None or marker.evaluate():
            return pin.version
    return None


def procfile() -> dict[str, str]:
    lines = (REPO_ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def assert_is_an_uptake_command(argv: list[str]) -> None:
    assert argv[0] == "uptake", argv
    try:
        build_parser().parse_args(argv[1:])
    except SystemExit:
        pytest.fail(f"{shlex.join(argv)} is not an uptake command")


def dockerfile_instructions(keyword: str) -> list[str]:
    text = (REPO_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [
        line.split(None, 1)[1].strip()
        for line in text.splitlines()
        if line.split(None, 1)[:1] == [keyword]
    ]


@pytest.mark.parametrize("name", ["requirements.lock", "requirements-dev.lock"])
def test_every_locked_package_is_pinned_with_its_hashes(name: str) -> None:
    pins = lock(name)
    assert pins
    for pin in (pin for versions in pins.values() for pin in versions):
        assert len(pin.requirement.specifier) == 1 and str(pin.requirement.specifier)[:2] == "=="
        assert pin.hashes, f"{name}: {pin.requirement} has no hash"


@pytest.mark.parametrize(
    ("name", "groups"),
    [("requirements.lock", ()), ("requirements-dev.lock", ("dev",))],
)
def test_the_locks_cover_pyproject(name: str, groups: tuple[str, ...]) -> None:
    pins = lock(name)
    wanted = [
        *PYPROJECT["project"]["dependencies"],
        *(dep for group in groups for dep in PYPROJECT["project"]["optional-dependencies"][group]),
        *PYPROJECT["build-system"]["requires"],  # installs build Uptake with no download
        "pip",
    ]
    for requirement in map(Requirement, wanted):
        pinned = locked_version(pins, requirement.name)
        assert pinned is not None, f"{name} lacks {requirement.name}: it {STALE}"
        assert requirement.specifier.contains(pinned, prereleases=True), (
            f"{name} pins {requirement.name}=={pinned}, outside {requirement.specifier}: it {STALE}"
        )
        for extra in requirement.extras:  # psycopg[binary] needs psycopg-binary pinned too
            assert canonicalize_name(f"{requirement.name}-{extra}") in pins, name


def test_the_dev_lock_pins_what_production_runs() -> None:
    runtime, dev = lock("requirements.lock"), lock("requirements-dev.lock")
    for name, pins in runtime.items():
        assert {str(pin.requirement) for pin in pins} == {str(pin.requirement) for pin in dev[name]}


def test_the_environment_was_installed_from_the_dev_lock() -> None:
    pins, mismatched = lock("requirements-dev.lock"), {}
    for name in pins:
        want = locked_version(pins, name)
        try:
            have = version(name)
        except PackageNotFoundError:
            have = None
        if want is not None and have != want:
            mismatched[name] = (have, want)
    assert mismatched == {}, "run scripts/setup: (installed, locked) " + str(mismatched)


def test_every_procfile_process_is_an_uptake_command() -> None:
    processes = procfile()
    assert set(processes) >= {"release", "web", "worker", "clock"}
    for command in processes.values():
        assert_is_an_uptake_command(shlex.split(command))


def test_the_image_runs_procfile_processes_and_checks_its_health() -> None:
    assert json.loads(dockerfile_instructions("ENTRYPOINT")[0]) == ["tini", "--", "/app/entrypoint"]
    copies = dockerfile_instructions("COPY")
    assert "--chmod=0755 scripts/container-entrypoint /app/entrypoint" in copies
    assert "Procfile /app/Procfile" in copies
    [default] = json.loads(dockerfile_instructions("CMD")[0])
    assert default in procfile()
    healthcheck = dockerfile_instructions("HEALTHCHECK")[0]
    assert_is_an_uptake_command(json.loads(healthcheck.split(" CMD ", 1)[1]))
    assert any(
        "--require-hashes" in run and "requirements.lock" in run
        for run in dockerfile_instructions("RUN")
    )
    assert dockerfile_instructions("USER") == ["uptake"]


def test_the_build_context_holds_what_the_image_copies_and_no_secrets() -> None:
    rules = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    assert rules[1] == "*", "the context is an allow-list"
    allowed = {rule[1:] for rule in rules if rule.startswith("!")}
    for copy in dockerfile_instructions("COPY"):
        words = [word for word in copy.split() if not word.startswith("--")]
        if "--from=builder" in copy:
            continue
        for source in words[:-1]:
            assert source in allowed, f"COPY {source}: not let in by .dockerignore"
            assert (REPO_ROOT / source).exists()
    assert not allowed & {".env", ".venv", ".git", "uptake.db"}


def test_compose_runs_procfile_processes_on_postgresql() -> None:
    compose = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert re.fullmatch(r"postgres:1[56](\..*)?", services["db"]["image"])
    processes = procfile()
    uptake = {name: service for name, service in services.items() if "build" in service}
    assert {service["command"][0] for service in uptake.values()} == set(processes)
    for name, service in uptake.items():
        assert service["env_file"] == ".env"
        assert service["environment"]["DATABASE_URL"].startswith("postgresql://")
        if name != "release":
            assert service["depends_on"] == {
                "release": {"condition": "service_completed_successfully"}
            }


def test_the_entrypoint_runs_a_procfile_process_or_any_uptake_command(tmp_path: Path) -> None:
    fake = tmp_path / "uptake"
    fake.write_text('#!/bin/sh\necho "uptake $*"\n')
    fake.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}",
        "UPTAKE_PROCFILE": str(REPO_ROOT / "Procfile"),
    }

    def run(*args: str) -> str:
        return subprocess.run(
            ["sh", str(REPO_ROOT / "scripts" / "container-entrypoint"), *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    for process, command in procfile().items():
        assert run(process) == command
    assert run("db", "history") == "uptake db history"
    assert run("health") == "uptake health"


def test_the_licence_is_apache_2() -> None:
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    text = (REPO_ROOT / "LICENSE").read_text()
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
