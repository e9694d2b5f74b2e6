"""The README cannot go stale: every command and flag is documented, the field reference is the
schema's own words, and the tour's commands run against the emulator and print what it shows.

`python tests/test_docs.py` rewrites the field reference between its markers from the schema.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pytest

from numbersync.cli import main

if TYPE_CHECKING:
    from numbersync.emulator import Emulator

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
SCHEMA = REPO / "schemas" / "numbersync.schema.json"
FIELDS_START, FIELDS_END = "<!-- fields:start -->", "<!-- fields:end -->"
TOUR_START, TOUR_END = "<!-- tour:start -->", "<!-- tour:end -->"
NUMBERSYNC = str(Path(sys.executable).with_name("numbersync"))


def readme() -> str:
    return README.read_text(encoding="utf-8")


def between(text: str, start: str, end: str) -> str:
    assert text.count(start) == 1 and text.count(end) == 1, f"{start} and {end} once each"
    return text.split(start, 1)[1].split(end, 1)[0]


# --- the field reference, generated from the schema ---------------------------------------------


def _type(spec: dict[str, Any], defs: dict[str, Any]) -> str:
    if "const" in spec:
        return f"`{json.dumps(spec['const'])}`"
    if spec.get("$ref") == "#/$defs/phone_number":
        return "phone number"
    if spec.get("$ref") == "#/$defs/settings":
        return "mapping: the settings of a number"
    names = {"object": "mapping", "array": "list", "boolean": "true/false", "null": "null"}
    kinds = spec.get("type", "object")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if kinds == ["array"]:
        items = spec.get("items", {})
        return "list of phone numbers" if "$ref" in items else f"list of {items['type']}s"
    return " or ".join(names.get(kind, kind) for kind in kinds)


def _limits(spec: dict[str, Any], defs: dict[str, Any], *, required: bool) -> str:
    found = ["required"] if required else []
    if "$ref" in spec and spec["$ref"] != "#/$defs/settings":
        spec = {**defs[spec["$ref"].rsplit("/", 1)[1]], **spec}
    if "minimum" in spec and "maximum" in spec:
        found.append(f"{spec['minimum']} to {spec['maximum']}")
    elif "minimum" in spec:
        found.append(f"at least {spec['minimum']}")
    if "maxItems" in spec:
        found.append(f"at most {spec['maxItems']} items")
    if "x-error" in spec and "const" not in spec:
        found.append(spec["x-error"])
    if "x-error" in spec.get("propertyNames", {}):
        found.append("each key " + spec["propertyNames"]["x-error"])
    items = spec.get("items", {})
    if "$ref" in items:
        found.append("each " + defs[items["$ref"].rsplit("/", 1)[1]]["x-error"])
    return "; ".join(found) or "–"


def _row(name: str, spec: dict[str, Any], defs: dict[str, Any], *, required: bool) -> str:
    meaning = f"**{spec['title']}.** {spec['description']}"
    cells = [f"`{name}`", _type(spec, defs), meaning, _limits(spec, defs, required=required)]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def fields_table(schema: dict[str, Any]) -> str:
    """The README's field reference: the file's top level, then the settings of a number."""
    defs = schema["$defs"]
    header = ["| Field | Type | Meaning | Limits |", "| --- | --- | --- | --- |"]
    top = list(header)
    for name, spec in schema["properties"].items():
        top.append(_row(name, spec, defs, required=name in schema.get("required", ())))
        for sub, sub_spec in spec.get("properties", {}).items():
            top.append(_row(f"{name}.{sub}", sub_spec, defs, required=False))
        # The entries of a mapping such as `groups`: their keys, under a placeholder for the name.
        entries = spec.get("additionalProperties")
        entry = entries.get("$ref", "").rsplit("/", 1)[-1] if isinstance(entries, dict) else ""
        if entry and entry != "settings":
            for sub, sub_spec in defs[entry]["properties"].items():
                required = sub in defs[entry].get("required", ())
                top.append(_row(f"{name}.<name>.{sub}", sub_spec, defs, required=required))
    settings = defs["settings"]
    number = list(header)
    for name, spec in settings["properties"].items():
        number.append(_row(name, spec, defs, required=False))
    return "\n".join(
        [
            "",
            "<!-- Generated from schemas/numbersync.schema.json by `python tests/test_docs.py`. -->",
            "",
            "The file:",
            "",
            *top,
            "",
            f"The settings of each number (`defaults` takes the same keys). {settings['description']}",
            "",
            *number,
            "",
        ]
    )


def test_the_field_reference_is_the_schemas_own() -> None:
    expected = fields_table(json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert between(readme(), FIELDS_START, FIELDS_END) == expected, (
        "README's field reference differs from the schema: run `.venv/bin/python tests/test_docs.py`"
    )


def test_every_managed_field_is_in_the_reference() -> None:
    from numbersync.models import MANAGED_FIELDS

    table = between(readme(), FIELDS_START, FIELDS_END)
    for name in MANAGED_FIELDS:
        assert f"| `{name}` |" in table


# --- commands and flags -------------------------------------------------------------------------


def _commands() -> Iterator[tuple[str, click.Command]]:
    yield "numbersync", main
    context = click.Context(main)
    for name in sorted(main.list_commands(context)):
        command = main.get_command(context, name)
        assert command is not None, name
        yield name, command


def test_every_command_has_help_and_a_readme_section() -> None:
    text = readme()
    for name, command in _commands():
        assert command.help, f"{name} has no help text"
        if command is not main:
            assert f"### `numbersync {name}" in text, f"README has no section for {name}"


@pytest.mark.parametrize("name", [name for name, _ in _commands()])
def test_every_flag_is_documented(name: str) -> None:
    text = readme()
    command = dict(_commands())[name]
    parent = click.Context(main, info_name="numbersync")
    ctx = parent if command is main else click.Context(command, info_name=name, parent=parent)
    for param in command.get_params(ctx):
        if isinstance(param, click.Argument):
            assert f"`{param.human_readable_name}`" in text, f"{name}: argument {param.name}"
            continue
        for opt in [*param.opts, *param.secondary_opts]:
            in_code = rf"`[^`\n]*(?<![\w-]){re.escape(opt)}(?![\w-])[^`\n]*`"
            assert re.search(in_code, text), f"{name}: {opt} is not in README"


def test_every_numbersync_command_in_the_docs_is_valid() -> None:
    from test_ci_recipes import check_cli, cli_args, command_lines

    fence = re.compile(r"^```(?:sh|bash|yaml)\n(.*?)^```$", re.M | re.S)
    checked = 0
    for path in [README, *sorted((REPO / "docs").glob("*.md"))]:
        for block in fence.findall(path.read_text(encoding="utf-8")):
            for line in command_lines(block):
                line = re.sub(r"\s+#.*$", "", line)
                try:
                    check_cli(cli_args(line, {"CONFIG": "numbers.yaml"}))
                except click.ClickException as exc:
                    raise AssertionError(f"{path.name}: {line}: {exc.format_message()}") from None
                checked += 1
    assert checked >= 7


def test_every_example_file_in_the_docs_validates(tmp_path: Path) -> None:
    """Each example file alone; those whose first line names a file of a directory
    (`# numbers/sales.yaml: ...`) together, as that directory."""
    from numbersync import config

    fence = re.compile(r"^```yaml\n(.*?)^```$", re.M | re.S)
    examples = [b for b in fence.findall(readme()) if re.search(r"^version: 1$", b, re.M)]
    assert examples
    in_tree = 0
    for i, block in enumerate(examples):
        named = re.match(r"# (numbers/[\w/.-]+\.ya?ml)\b", block)
        path = tmp_path / (named[1] if named else f"example{i}.yaml")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block, encoding="utf-8")
        if named:
            in_tree += 1
        else:
            assert config.load(str(path)).numbers
    if in_tree:
        assert len(config.load(str(tmp_path / "numbers")).files) == in_tree


def test_every_environment_variable_is_documented() -> None:
    from numbersync.close import settings

    names = [settings.API_KEY_VAR, settings.ACCESS_TOKEN_VAR, settings.API_URL_VAR, "NO_COLOR"]
    section = readme().split("## Environment", 1)[1].split("\n## ", 1)[0]
    for name in names:
        assert f"`{name}`" in section


def test_the_json_plan_format_lists_every_key(emulator: Emulator, tmp_path: Path) -> None:
    shutil.copy(REPO / "examples" / "numbers.yaml", tmp_path / "numbers.yaml")
    result = _run(["plan", "--format", "json"], tmp_path, _env(emulator))
    document = json.loads(result.stdout)
    section = readme().split("## The JSON plan", 1)[1].split("\n## ", 1)[0]
    keys = set(document) | set(document["changes"][0]) | set(document["config"])
    keys |= set(document["summary"]) | set(document["safety"]) | set(document["unmanaged"][0])
    missing = sorted(k for k in keys if f"`{k}`" not in section)
    assert not missing, f"keys missing from README's JSON plan section: {missing}"
    assert f"`format_version`: {document['format_version']}" in section


def _property_names(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        yield from schema.get("properties", {})
        for value in schema.values():
            yield from _property_names(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _property_names(item)


def test_the_json_plan_section_names_its_schema_every_key_of_it_and_what_apply_checks() -> None:
    from numbersync.models import MANAGED_FIELDS
    from numbersync.savedplan import read

    section = readme().split("## The JSON plan", 1)[1].split("\n## ", 1)[0]
    assert "[`schemas/plan.schema.json`](schemas/plan.schema.json)" in section
    missing = sorted({k for k in _property_names(read.schema()) if f"`{k}`" not in section})
    assert not missing, (
        f"keys of the plan schema missing from README's JSON plan section: {missing}"
    )
    checks = section.split("### What `apply PLANFILE` checks", 1)[1]
    assert [name for name in MANAGED_FIELDS if f"`{name}`" not in checks] == []
    assert f"Hint: {read.HINT}" in checks
    assert read.MAX_PLAN_BYTES == 1 << 30
    assert "(up to 1 GiB" in checks


def test_the_readme_names_the_marker_and_the_schema_file() -> None:
    from numbersync.modeline import MODELINE, SCHEMA_FILE
    from numbersync.render import MARKDOWN_MARKER

    text = readme()
    editor = text.split("### Editor support\n", 1)[1].split("\n## ", 1)[0]
    # The modeline export and init write, pointing at a file beside the config (a URL would
    # need the network, and numbersync.dev serves nothing).
    assert f"{MODELINE}{SCHEMA_FILE}" in editor
    assert f"numbersync schema -o {SCHEMA_FILE}" in editor
    assert f'"./{SCHEMA_FILE}"' in editor  # the VS Code yaml.schemas setting
    assert "https://" not in editor
    assert MARKDOWN_MARKER in text


# --- the tour: its commands run, and print what the README shows --------------------------------


@dataclass
class Step:
    command: str
    exit_code: int = 0
    outputs: list[str] = field(default_factory=list)  # README blocks showing its stdout


@dataclass
class Tour:
    exports: dict[str, str] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    directory: str = "."


FENCE = re.compile(r"^(?P<fence>`{3,})(?P<lang>\w*)\n(?P<body>.*?)^(?P=fence)$", re.M | re.S)
OUTPUT_OF = re.compile(r"<!-- output: (?P<command>.+?) -->\s*$")
EXIT_COMMENT = re.compile(r"\s+#\s*exits?\s+(?P<code>\d+)\b.*$")


def parse_tour(text: str) -> Tour:
    """The tour's `sh` blocks in order: `export`s, one `cd`, and numbersync commands (a trailing
    `# exits N` says the exit code); each block after `<!-- output: COMMAND -->` is its stdout."""
    tour = Tour()
    section = between(text, TOUR_START, TOUR_END)
    for match in FENCE.finditer(section):
        preceding = section[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        shown = OUTPUT_OF.search(preceding)
        if shown:
            step = next(s for s in tour.steps if s.command == shown["command"])
            step.outputs.append(match["body"])
            continue
        if match["lang"] != "sh":
            continue
        for line in match["body"].splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").partition("=")
                tour.exports[name] = value
            elif line.startswith("cd "):
                tour.directory = line.removeprefix("cd ").strip()
            elif line.startswith("numbersync emulator"):
                continue  # the test's own emulator stands in for it
            elif line.startswith("numbersync "):
                code = EXIT_COMMENT.search(line)
                command = EXIT_COMMENT.sub("", line).strip()
                tour.steps.append(Step(command, int(code["code"]) if code else 0))
            else:
                raise AssertionError(f"the tour runs only numbersync, export and cd: {line!r}")
    return tour


def _env(emulator: Emulator) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOSE_")}
    return {**env, "CLOSE_API_URL": emulator.url, "CLOSE_API_KEY": emulator.admin_key}


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NUMBERSYNC, *args],
        cwd=cwd,
        env={**env, "NO_COLOR": "1"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_tour_parses_into_the_demos_steps() -> None:
    from numbersync.demo import STEPS

    tour = parse_tour(readme())
    assert [s.command for s in tour.steps] == [" ".join(("numbersync", *args)) for _, args in STEPS]
    assert all(step.outputs for step in tour.steps), "every tour step shows its output"


def test_the_tour_runs_and_prints_what_the_readme_shows(emulator: Emulator, tmp_path: Path) -> None:
    tour = parse_tour(readme())
    assert tour.exports["CLOSE_API_KEY"] == emulator.admin_key
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v1", tour.exports["CLOSE_API_URL"])
    # The tour runs in a scratch copy, so that nothing it writes lands in the repository.
    workdir = tmp_path / tour.directory
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / tour.directory / "numbers.yaml", workdir / "numbers.yaml")
    for step in tour.steps:
        result = _run(shlex.split(step.command)[1:], workdir, _env(emulator))
        assert result.returncode == step.exit_code, f"{step.command}: {result.stderr}"
        for shown in step.outputs:
            # A fenced block cannot end in a blank line; the markdown plan does.
            printed = result.stdout.rstrip("\n") + "\n"
            assert printed == shown, f"README shows another output for {step.command}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize(
    "path", [README, *sorted((REPO / "docs").glob("*.md"))], ids=lambda p: p.name
)
def test_every_relative_link_and_anchor_resolves(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://")):
            continue
        name, _, anchor = target.partition("#")
        destination = (path.parent / name).resolve() if name else path
        assert destination.exists(), f"{path.name}: link to {target}"
        if anchor and destination.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", destination.read_text(encoding="utf-8"), re.M)
            assert anchor in {_slug(h) for h in headings}, f"{path.name}: anchor {target}"


def test_the_quick_start_keeps_its_two_commands() -> None:
    quick = readme().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "make demo" in quick and "make test" in quick
    targets = re.findall(r"^(\w+):", (REPO / "Makefile").read_text(), re.M)
    for target in re.findall(r"`make (\w+)`", readme()):
        assert target in targets, f"README mentions make {target}, which the Makefile lacks"


def test_the_changelog_follows_keep_a_changelog() -> None:
    from numbersync import __version__

    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog")
    assert re.search(rf"^## \[{re.escape(__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", text, re.M)


if __name__ == "__main__":
    text = readme()
    between(text, FIELDS_START, FIELDS_END)  # both markers, once each
    head, rest = text.split(FIELDS_START, 1)
    tail = rest.split(FIELDS_END, 1)[1]
    generated = fields_table(json.loads(SCHEMA.read_text(encoding="utf-8")))
    README.write_text(head + FIELDS_START + generated + FIELDS_END + tail, encoding="utf-8")
    print("README.md: field reference regenerated from the schema")


def test_make_demo_installs_only_what_numbersync_needs_to_run() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo: \$\(RUNTIME\)$", makefile, re.M)
    runtime = makefile.split("$(RUNTIME): pyproject.toml")[1].split("\n\n", 1)[0]
    assert "pip install --quiet -e .\n" in runtime and "[test]" not in runtime
    # The test tools come with `make test` (lint first), each target setting up .venv itself.
    assert re.search(r"^lint: \$\(STAMP\)$", makefile, re.M)
    assert re.search(r"^test: lint$", makefile, re.M)
    assert "pip install --quiet -e '.[test]'" in makefile.split("$(STAMP): pyproject.toml")[1]
