"""A number's positions, which the loader keeps as lines and columns and makes Positions of when
they are read, are those it once made up front for every field: the reference below is that
loader's code, compared over generated files, the examples and a directory with root defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_config_fuzz import dump, valid_documents

from numbersync import config
from numbersync.errors import Position
from numbersync.models import MANAGED_FIELDS, SET_FIELDS, DesiredState
from numbersync.yamlsource import Document, parse

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.yaml") if p.name != "emulator-seed.yaml")
Layer = dict[str, dict[str, Position]]


def layer_as_it_was(doc: Document) -> Layer:
    """Each field of the file's defaults: the position of its value and of each item kept."""
    defaults = config._with_phone_texts(doc).get("defaults") or {}
    out: Layer = {}
    for name in MANAGED_FIELDS:
        if name in defaults:
            out[name] = {name: doc.position(("defaults", name))}
            if name in SET_FIELDS:
                for i, _ in config._unique(name, defaults[name]):
                    out[name][f"{name}[{i}]"] = doc.position(("defaults", name, i))
    return out


def positions_as_they_were(
    doc: Document, key: str, own: dict[str, Any], layers: list[Layer]
) -> dict[str, Position]:
    positions = {"": doc.position(("numbers", key), key=True)}
    for name in MANAGED_FIELDS:
        if name in own:
            positions[name] = doc.position(("numbers", key, name))
            if name in SET_FIELDS:
                for i, _ in config._unique(name, own[name]):
                    positions[f"{name}[{i}]"] = doc.position(("numbers", key, name, i))
            continue
        for layer in layers:
            if name in layer:
                positions.update(layer[name])
                break
    for rule in own.get("waive") or {}:
        positions[f"waive.{rule}"] = doc.position(("numbers", key, "waive", rule), key=True)
    return positions


def assert_positions_as_they_were(state: DesiredState, docs: dict[str, Document]) -> None:
    root = docs.get(state.root) if state.root else None
    root_layer = layer_as_it_was(root) if root else {}
    for number in state.numbers:
        doc = docs[number.file]
        layers = [root_layer] if doc is root else [layer_as_it_was(doc), root_layer]
        own = config._with_phone_texts(doc)["numbers"][number.key] or {}
        expected = positions_as_they_were(doc, number.key, own, layers)
        # In the same order, and read either way: by name, by iteration, by `in` and by get.
        assert list(number.positions.items()) == list(expected.items()), number.key
        assert len(number.positions) == len(expected)
        for name, position in expected.items():
            assert name in number.positions and number.positions.get(name) == position
        assert "nothing" not in number.positions and number.positions.get("nothing") is None
        assert repr(number.positions) == repr(expected)


def load_file(path: Path, text: str) -> tuple[DesiredState, dict[str, Document]]:
    path.write_text(text, encoding="utf-8")
    return config.load(str(path)), {str(path): parse(str(path), path.read_bytes())}


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
@given(valid_documents(), st.booleans())
def test_generated_files_place_every_field_as_before(
    tmp_path: Path, document: dict[str, Any], flow: bool
) -> None:
    assert_positions_as_they_were(*load_file(tmp_path / "numbers.yaml", dump(document, flow)))


def test_the_examples_place_every_field_as_before() -> None:
    for example in EXAMPLES:
        docs = {str(example): parse(str(example), example.read_bytes())}
        assert_positions_as_they_were(config.load(str(example)), docs)


TEAM = """\
version: 1
defaults:
  participants: [a@x.com, A@x.com, b@x.com]
numbers:
  "+16503334444":
    label: Sales
    phone_numbers: ["+1 650 555 0100", "+16505550100", "+16505550101"]
    waive: {min_ringing: "a kiosk", refused_number_types: "the lobby"}
  "+16503334445": ~
  phon_abc:
    participants: [c@x.com]
"""
ROOT_FILE = """\
version: 1
defaults:
  forward_to: "+1 650 555 0199"
  participant_groups: [Support, Support, Sales]
  inbound_ring_duration: 20
"""


def test_a_directory_places_what_each_number_inherits_from_its_file_and_the_root(
    tmp_path: Path,
) -> None:
    tree = tmp_path / "numbers"
    (tree / "team").mkdir(parents=True)
    (tree / "numbersync.yaml").write_text(ROOT_FILE)
    (tree / "team" / "sales.yaml").write_text(TEAM)
    (tree / "other.yaml").write_text('version: 1\nnumbers:\n  "+16503334446": {label: X}\n')
    docs = {
        str(path): parse(str(path), path.read_bytes())
        for path in [tree / "numbersync.yaml", tree / "team" / "sales.yaml", tree / "other.yaml"]
    }
    state = config.load(str(tree))
    assert len(state.numbers) == 4
    assert_positions_as_they_were(state, docs)
    sales = next(n for n in state.numbers if n.key == "+16503334444")
    assert sales.position_of("forward_to").file == str(tree / "numbersync.yaml")
    assert sales.position_of("participants[1]") == sales.position_of("participants")
