"""Where the schema a written config points at is, and how the modeline names it: offline."""

from __future__ import annotations

from pathlib import Path

from numbersync.account import LiveNumber
from numbersync.export import Export, _below
from numbersync.live import Directory
from numbersync.modeline import NO_SCHEMA_HINT, SchemaFile, find_schema, modeline, relative_to


def test_the_schema_beside_the_output_is_found_first(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "numbersync.schema.json").write_text("{}")
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "numbersync.schema.json").write_text("{}")

    assert find_schema(str(tmp_path / "a" / "b")) == SchemaFile(
        str(tmp_path / "a" / "numbersync.schema.json"), exists=True
    )
    assert find_schema(str(tmp_path)) == SchemaFile(
        str(tmp_path / "numbersync.schema.json"), exists=True
    )


def test_the_search_ends_at_the_repository_root_and_then_says_where_to_write(
    tmp_path: Path,
) -> None:
    (tmp_path / "numbersync.schema.json").write_text("{}")  # outside the repository
    repo = tmp_path / "repo"
    (repo / "config").mkdir(parents=True)
    (repo / ".git").write_text("gitdir: elsewhere\n")  # a worktree's .git is a file

    assert find_schema(str(repo / "config")) == SchemaFile(
        str(repo / "config" / "numbersync.schema.json"), exists=False
    )


def test_modelines_name_the_schema_relative_to_the_file_with_slashes(tmp_path: Path) -> None:
    schema = str(tmp_path / "numbersync.schema.json")

    assert relative_to(schema, str(tmp_path)) == "numbersync.schema.json"
    assert relative_to(schema, str(tmp_path / "numbers" / "emea")) == "../../numbersync.schema.json"
    assert modeline("../numbersync.schema.json") == (
        "# yaml-language-server: $schema=../numbersync.schema.json"
    )
    assert modeline(None) == NO_SCHEMA_HINT


def test_files_of_a_tree_in_subdirectories_climb_to_the_schema() -> None:
    assert _below("../numbersync.schema.json", "sales.yaml") == "../numbersync.schema.json"
    assert _below("../numbersync.schema.json", "support/emea.yaml") == (
        "../../numbersync.schema.json"
    )
    assert _below("numbersync.schema.json", "support/emea.yaml") == "../numbersync.schema.json"
    assert _below(None, "sales.yaml") is None


def test_every_file_of_an_exported_tree_points_at_the_schema() -> None:
    fields = {"label": "x", "participant_groups": []}
    live = LiveNumber("phon_1", "+16503334444", "", None, fields, fields)
    tree = Export([live], Directory(users=(), groups=())).tree(
        source="test", when="now", schema="../numbersync.schema.json"
    )

    assert {name: text.splitlines()[0] for name, text in tree.items()} == {
        "numbersync.yaml": "# yaml-language-server: $schema=../numbersync.schema.json",
        "unassigned.yaml": "# yaml-language-server: $schema=../numbersync.schema.json",
    }
