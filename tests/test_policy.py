"""The policy rules: each rule's function on its own, `validate` refusing what the file alone
decides (every violation at once, at its position, waivers taken into account), and the plan
judging what Close keeps and who a number rings with group members."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from click.testing import CliRunner
from helpers import assert_schema_checks_agree

from numbersync import config, phone, policy, render, ringing
from numbersync.account import Group, LiveNumber, User
from numbersync.cli import main
from numbersync.errors import InputError
from numbersync.live import Directory
from numbersync.models import Policy
from numbersync.plan import build_plan
from numbersync.savedplan.read import read_plan

PREMIUM_GB = "+449098790000"  # UK 09: premium-rate
PREMIUM_US = "+19005550100"  # US 900: premium-rate
SHARED_FR = "+33810123456"  # France 0810: shared-cost
UNKNOWN_US = "+19995550000"  # area code 999: no valid US number
US_LINE = "+16505550100"  # fixed line or mobile: what every US number is
GB_LINE = "+442079460958"
FR_LINE = "+33142685300"
TOLL_FREE_US = "+18005550100"


# --- the rules on their own ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "kind", "region"),
    [
        (PREMIUM_GB, "premium_rate", "GB"),
        (PREMIUM_US, "premium_rate", "US"),
        ("+448454640000", "premium_rate", "GB"),  # UK 0845: libphonenumber files it premium
        (SHARED_FR, "shared_cost", "FR"),
        (UNKNOWN_US, "unknown", None),
        (US_LINE, "fixed_line_or_mobile", "US"),
        (GB_LINE, "fixed_line", "GB"),
        (TOLL_FREE_US, "toll_free", "US"),
        ("+80012345678", "toll_free", "001"),
    ],
)
def test_numbers_are_classified_as_phonenumbers_knows_them(
    number: str, kind: str, region: str | None
) -> None:
    assert policy.classify(number) == (kind, region)


@pytest.mark.parametrize(
    "number",
    [PREMIUM_GB, PREMIUM_US, SHARED_FR, UNKNOWN_US, US_LINE, GB_LINE, FR_LINE, TOLL_FREE_US,
     "+80012345678", "+1 (650) 555-0100", "+44 (0) 20 7946 0958", "+1650555010x12", "+999"],
)  # fmt: skip
def test_a_number_the_loader_read_first_is_classified_as_one_read_cold(number: str) -> None:
    # The loader's reading of a number is shared with the policy's: what either does with it
    # must leave it as phonenumbers read it.
    phone.parse.cache_clear()
    policy.classify.cache_clear()
    phone.to_e164.cache_clear()
    cold = policy.classify(number)
    phone.parse.cache_clear()
    policy.classify.cache_clear()
    phone.to_e164(number)
    assert policy.classify(number) == cold
    try:
        fresh = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        fresh = None
    assert phone.parse(number) == fresh


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        (PREMIUM_GB, "+44 909 879 0000 is a premium-rate number (GB)"),
        (PREMIUM_US, "+1 900-555-0100 is a premium-rate number (US)"),
        (SHARED_FR, "+33 810 12 34 56 is a shared-cost number (FR)"),
        (
            UNKNOWN_US,
            "+1 999-555-0000 is a number of unknown type (no valid number of its country's plan)",
        ),
        (US_LINE, None),
        (GB_LINE, None),
        (TOLL_FREE_US, None),
    ],
)
def test_premium_shared_cost_and_unknown_numbers_are_refused_by_default(
    number: str, problem: str | None
) -> None:
    expected = f"{problem}, which policy refused_number_types refuses" if problem else None
    assert policy.type_problem(Policy(), number) == expected


def test_the_refused_types_are_the_policys_own() -> None:
    none = Policy(refused_number_types=())
    toll_free = Policy(refused_number_types=("toll_free",))
    assert policy.type_problem(none, PREMIUM_GB) is None
    assert policy.type_problem(toll_free, PREMIUM_GB) is None
    assert policy.type_problem(toll_free, TOLL_FREE_US) == (
        "+1 800-555-0100 is a toll-free number (US), which policy refused_number_types refuses"
    )


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        (US_LINE, None),
        ("+16135550100", None),  # Ottawa: Canada
        (GB_LINE, "+44 20 7946 0958 is a number in GB, not in policy allowed_countries (US, CA)"),
        (
            "+80012345678",
            "+800 1234 5678 is a number of no country, not in policy allowed_countries (US, CA)",
        ),
        (
            UNKNOWN_US,
            "+1 999-555-0000 is a number whose country cannot be told, not in policy "
            "allowed_countries (US, CA)",
        ),
    ],
)
def test_numbers_outside_the_allowed_countries_are_refused(
    number: str, problem: str | None
) -> None:
    assert policy.country_problem(Policy(allowed_countries=("US", "CA")), number) == problem
    assert policy.country_problem(Policy(), number) is None


def test_an_empty_list_allows_no_country_and_no_host() -> None:
    assert policy.country_problem(Policy(allowed_countries=()), US_LINE) == (
        "+1 650-555-0100 is a number in US, not in policy allowed_countries (none)"
    )
    assert policy.greeting_problem(Policy(allowed_greeting_hosts=()), "https://a.example/") == (
        'host "a.example" is not in policy allowed_greeting_hosts (none)'
    )


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://cdn.example.com/a.mp3", True),
        ("https://CDN.Example.com./a.mp3", True),
        ("https://media.example.org/a.mp3", True),
        ("https://a.b.example.org/a.mp3", True),
        ("https://example.org/a.mp3", False),
        ("https://cdn.example.com.evil.net/a.mp3", False),
        ("https://evilexample.org/a.mp3", False),
    ],
)
def test_greetings_come_only_from_the_allowed_hosts(url: str, allowed: bool) -> None:
    rules = Policy(allowed_greeting_hosts=("cdn.example.com", "*.example.org"))
    problem = policy.greeting_problem(rules, url)
    assert (problem is None) == allowed
    assert policy.greeting_problem(Policy(), url) is None


def rings(fields: dict[str, Any], members: dict[str, tuple[str, ...]] | None) -> ringing.Rings:
    return ringing.rings(fields, members)


def test_too_few_people_is_a_problem_only_when_no_unread_group_can_make_up_for_it() -> None:
    rules = Policy(min_ringing=3)
    members = {"group_a": ("user_1", "user_2"), "group_b": ("user_2",)}
    # Each person once: user_1 directly and through group_a, user_2 through both groups.
    once = {
        "participants": ("user_1",),
        "participant_groups": ("group_a", "group_b"),
        "phone_numbers": (),
    }
    assert policy.ringing_problem(rules, rings(once, members)) == (
        "rings 2 people, fewer than policy min_ringing (3)"
    )
    with_number = {**once, "phone_numbers": ("+16505550100",)}
    assert policy.ringing_problem(rules, rings(with_number, members)) is None
    # group_c's members were not read: they may make up the difference.
    unread = {**once, "participant_groups": ("group_a", "group_c")}
    assert policy.ringing_problem(rules, rings(unread, members)) is None
    assert policy.ringing_problem(rules, rings({"participants": ("user_1",)}, None)) == (
        "rings 1 person, fewer than policy min_ringing (3)"
    )
    assert policy.ringing_problem(rules, rings({}, None)) == (
        "rings 0 people, fewer than policy min_ringing (3)"
    )
    assert policy.ringing_problem(Policy(), rings({}, None)) is None


# --- validate ----------------------------------------------------------------------------------


def validate(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", "-c", str(path)])
    return result.exit_code, result.stderr if result.exit_code else result.stdout


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_validate_refuses_a_premium_rate_forward_to_with_no_policy_at_all(tmp_path: Path) -> None:
    path = write(
        tmp_path / "numbers.yaml",
        'version: 1\nnumbers:\n  "+16503334444":\n    forward_to: "+44 909 879 0000"\n',
    )
    assert validate(path) == (
        1,
        f'{path}:4:17: $.numbers["+16503334444"].forward_to: +44 909 879 0000 is a premium-rate '
        "number (GB), which policy refused_number_types refuses\n"
        "Error: 1 error found\n",
    )


POLICY = """\
version: 1
policy:
  allowed_countries: [US, CA]
  min_ringing: 2
  allowed_greeting_hosts: [cdn.example.com]
defaults:
  forward_to: "+44 20 7946 0958"
numbers:
  "+16503334444":
    forward_to: "+1 900 555 0100"
    phone_numbers: ["+1 650 555 0100", "+33 810 12 34 56"]
    participants: [alice@example.com]
    participant_groups: []
    voicemail_greeting_url: https://greetings.example.net/sales.mp3
  "+16503334445":
    participants: [bob@example.com]
  "+16503334446":
    participants: [carol@example.com]
    waive:
      allowed_countries: the London office forwards here until March
"""


def test_validate_reports_every_violation_at_once_at_its_position(tmp_path: Path) -> None:
    path = write(tmp_path / "numbers.yaml", POLICY)
    code, err = validate(path)
    number = '$.numbers["+16503334444"]'
    assert code == 1
    assert err.splitlines() == [
        f"{path}:7:15: $.defaults.forward_to: +44 20 7946 0958 is a number in GB, not in policy "
        "allowed_countries (US, CA)",
        f"{path}:10:17: {number}.forward_to: +1 900-555-0100 is a premium-rate number (US), "
        "which policy refused_number_types refuses",
        f"{path}:11:40: {number}.phone_numbers[1]: +33 810 12 34 56 is a number in FR, not in "
        "policy allowed_countries (US, CA)",
        f"{path}:11:40: {number}.phone_numbers[1]: +33 810 12 34 56 is a shared-cost number (FR), "
        "which policy refused_number_types refuses",
        f"{path}:14:29: {number}.voicemail_greeting_url: host "
        '"greetings.example.net" is not in policy allowed_greeting_hosts (cdn.example.com)',
        "Error: 5 errors found",
    ]


def test_validate_refuses_too_few_people_when_the_file_decides_who_rings(tmp_path: Path) -> None:
    path = write(
        tmp_path / "numbers.yaml",
        "version: 1\npolicy: {min_ringing: 2}\nnumbers:\n"
        '  "+16503334444": {participants: [a@example.com, A@Example.com], '
        "participant_groups: [], phone_numbers: []}\n"
        # Groups not known offline: plan counts their members.
        '  "+16503334445": {participants: [a@example.com], participant_groups: [Support], '
        "phone_numbers: []}\n"
        # Close's participants still count: plan decides.
        '  "+16503334446": {participant_groups: [], phone_numbers: []}\n'
        # One participant and one external number reach it.
        '  "+16503334447": {participants: [a@example.com], phone_numbers: ["+1 650 555 0100"]}\n',
    )
    assert validate(path) == (
        1,
        f'{path}:4:3: $.numbers["+16503334444"]: rings 1 person, fewer than policy '
        "min_ringing (2)\nError: 1 error found\n",
    )


def test_a_waiver_lets_one_number_off_one_rule(tmp_path: Path) -> None:
    path = write(
        tmp_path / "numbers.yaml",
        "version: 1\nnumbers:\n"
        '  "+16503334444":\n'
        '    forward_to: "+44 909 879 0000"\n'
        "    waive: {refused_number_types: the hotline the regulator requires}\n"
        '  "+16503334445":\n'
        '    forward_to: "+44 909 879 0000"\n'
        "    waive: {allowed_countries: not the rule it breaks}\n",
    )
    assert validate(path) == (
        1,
        f'{path}:7:17: $.numbers["+16503334445"].forward_to: +44 909 879 0000 is a premium-rate '
        "number (GB), which policy refused_number_types refuses\nError: 1 error found\n",
    )


def test_an_empty_list_of_refused_types_turns_the_default_off(tmp_path: Path) -> None:
    path = write(
        tmp_path / "numbers.yaml",
        "version: 1\npolicy: {refused_number_types: []}\nnumbers:\n"
        '  "+16503334444": {forward_to: "+44 909 879 0000"}\n',
    )
    assert validate(path) == (0, "OK: 1 number\n")
    assert config.load(str(path)).policy == Policy(refused_number_types=())


def test_the_policy_section_and_waivers_are_checked_for_shape(tmp_path: Path) -> None:
    path = write(
        tmp_path / "numbers.yaml",
        "version: 1\n"
        "policy:\n"
        "  allowed_countries: [US, UK, us]\n"
        "  refused_number_types: [premium]\n"
        "  min_ringing: 0\n"
        "  allowed_greeting_hosts: [https://cdn.example.com]\n"
        "  max_forwards: 1\n"
        "defaults:\n"
        "  waive: {min_ringing: all of them}\n"
        "numbers:\n"
        '  "+16503334444":\n'
        '    waive: {min_rings: x, allowed_countries: "  "}\n',
    )
    code, err = validate(path)
    assert code == 1
    assert err.splitlines() == [
        f'{path}:3:27: $.policy.allowed_countries[1]: "UK" is not a country code phonenumbers '
        "knows (the United Kingdom is GB)",
        f"{path}:3:31: $.policy.allowed_countries[2]: must be a two-letter country code in "
        'capitals (ISO 3166-1 alpha-2), e.g. "US", got "us"',
        f"{path}:4:26: $.policy.refused_number_types[0]: must be one of fixed_line, mobile, "
        "fixed_line_or_mobile, toll_free, premium_rate, shared_cost, voip, personal_number, "
        "pager, uan, voicemail, unknown, got \"premium\" (did you mean 'premium_rate'?)",
        f"{path}:5:16: $.policy.min_ringing: must be at least 1, got 0",
        f"{path}:6:28: $.policy.allowed_greeting_hosts[0]: must be a host name such as "
        'cdn.example.com, or *.example.com for the hosts below it, got "https://cdn.example.com"',
        f"{path}:7:3: $.policy.max_forwards: unknown key 'max_forwards'",
        f"{path}:9:3: $.defaults.waive: a waiver is for one number only: write it under that "
        "number",
        f"{path}:12:13: $.numbers[\"+16503334444\"].waive.min_rings: unknown key 'min_rings' "
        "(did you mean 'min_ringing'?)",
        f'{path}:12:46: $.numbers["+16503334444"].waive.allowed_countries: must say why the rule '
        'is waived for this number, got "  "',
        "Error: 9 errors found",
    ]
    assert_schema_checks_agree(str(path))


def test_policy_belongs_in_the_root_of_a_directory(tmp_path: Path) -> None:
    write(tmp_path / "numbers" / "numbersync.yaml", "version: 1\npolicy: {min_ringing: 1}\n")
    team = write(
        tmp_path / "numbers" / "sales.yaml",
        "version: 1\npolicy: {min_ringing: 1}\nnumbers: {}\n",
    )
    assert validate(tmp_path / "numbers") == (
        1,
        f"{team}:2:1: $.policy: policy is allowed only in the directory's root numbersync.yaml, "
        "where it covers every file\nError: 1 error found\n",
    )


def test_the_roots_policy_covers_every_file_of_a_directory(tmp_path: Path) -> None:
    write(
        tmp_path / "numbers" / "numbersync.yaml",
        "version: 1\npolicy: {allowed_countries: [US]}\n",
    )
    team = write(
        tmp_path / "numbers" / "support" / "emea.yaml",
        'version: 1\nnumbers:\n  "+16503334444": {phone_numbers: ["+44 20 7946 0958"]}\n',
    )
    assert validate(tmp_path / "numbers") == (
        1,
        f'{team}:3:36: $.numbers["+16503334444"].phone_numbers[0]: +44 20 7946 0958 is a number '
        "in GB, not in policy allowed_countries (US)\nError: 1 error found\n",
    )


@pytest.mark.parametrize("name", ["policy.yaml", "waivers.yaml"])
def test_the_schemas_quick_path_agrees_with_jsonschema_on_policies(
    tmp_path: Path, name: str
) -> None:
    texts = {
        "policy.yaml": POLICY,
        "waivers.yaml": "version: 1\nnumbers:\n  '+16503334444':\n    waive: {min_ringing: 1}\n",
    }
    path = write(tmp_path / name, texts[name])
    assert_schema_checks_agree(str(path))


# --- plan --------------------------------------------------------------------------------------


def live(number: str, **fields: Any) -> LiveNumber:
    number_id = "phon_" + number.lstrip("+")
    return LiveNumber(number_id, number, number, None, fields, {**fields, "id": number_id})


def state(tmp_path: Path, text: str) -> config.DesiredState:
    return config.load(str(write(tmp_path / "numbers.yaml", text)))


GROUPS = (Group("group_sales", "Sales"), Group("group_night", "Night"))


def test_plan_counts_group_members_for_the_minimum(tmp_path: Path) -> None:
    desired = state(
        tmp_path,
        "version: 1\npolicy: {min_ringing: 3}\nnumbers:\n"
        '  "+16503334444": {participant_groups: [Sales]}\n'
        '  "+16503334445": {participant_groups: [Night]}\n'
        '  "+16503334446": {label: Desk}\n',
    )
    numbers = [
        live("+16503334444", participants=["user_a"], participant_groups=[]),
        live("+16503334445", participants=["user_a"], participant_groups=["group_sales"]),
        live("+16503334446", participants=[], participant_groups=["group_sales"]),
    ]
    members = {"group_sales": ("user_a", "user_b", "user_c"), "group_night": ("user_a",)}
    with pytest.raises(InputError) as caught:
        build_plan(desired, numbers, Directory(groups=GROUPS, members=members))
    assert [str(d) for d in caught.value.diagnostics] == [
        f'{tmp_path}/numbers.yaml:5:3: $.numbers["+16503334445"]: rings 1 person, fewer than '
        "policy min_ringing (3)",
    ]

    # Without the members, the plan cannot tell, and says so instead of passing in silence.
    plan = build_plan(desired, numbers, Directory(groups=GROUPS))
    assert plan.warnings == (
        f'{tmp_path}/numbers.yaml:4:3: $.numbers["+16503334444"]: policy min_ringing (3) not '
        "checked: the number rings 1 without the members of 'Sales', which were not read",
        f'{tmp_path}/numbers.yaml:5:3: $.numbers["+16503334445"]: policy min_ringing (3) not '
        "checked: the number rings 1 without the members of 'Night', which were not read",
        f'{tmp_path}/numbers.yaml:6:3: $.numbers["+16503334446"]: policy min_ringing (3) not '
        "checked: the number rings 0 without the members of 'Sales', which were not read",
    )


def test_plan_counts_the_members_the_files_groups_leave(tmp_path: Path) -> None:
    # Sales rings three people in Close; the file leaves it one: the number rings one then.
    desired = state(
        tmp_path,
        "version: 1\npolicy: {min_ringing: 2}\nnumbers:\n"
        '  "+16503334444": {participant_groups: [Sales]}\n'
        "groups:\n"
        "  Sales: {members: [user_a]}\n",
    )
    numbers = [live("+16503334444", participants=[], participant_groups=["group_sales"])]
    members = {"group_sales": ("user_a", "user_b", "user_c")}
    users = tuple(User(u, f"{u}@x.example") for u in members["group_sales"])
    with pytest.raises(InputError) as caught:
        build_plan(desired, numbers, Directory(users=users, groups=GROUPS, members=members))
    assert [str(d) for d in caught.value.diagnostics] == [
        f'{tmp_path}/numbers.yaml:4:3: $.numbers["+16503334444"]: rings 1 person, fewer than '
        "policy min_ringing (2)",
    ]


def test_plan_judges_what_close_keeps(tmp_path: Path) -> None:
    desired = state(
        tmp_path,
        "version: 1\npolicy: {allowed_countries: [US]}\nnumbers:\n"
        '  "+16503334444": {forward_to_enabled: true}\n'
        '  "+16503334445": {forward_to_enabled: false}\n'
        '  "+16503334446": {label: Desk}\n'
        '  "+16503334447": {phone_numbers: ["+1 650 555 0100"]}\n',
    )
    numbers = [
        live("+16503334444", forward_to=PREMIUM_GB, forward_to_enabled=False),
        live("+16503334445", forward_to=PREMIUM_GB, forward_to_enabled=True),
        live("+16503334446", phone_numbers=[US_LINE, FR_LINE]),
        live("+16503334447", phone_numbers=[FR_LINE]),
    ]
    with pytest.raises(InputError) as caught:
        build_plan(desired, numbers)
    path = f"{tmp_path}/numbers.yaml"
    assert [str(d) for d in caught.value.diagnostics] == [
        f'{path}:4:3: $.numbers["+16503334444"]: forward_to kept from Close: +44 909 879 0000 '
        "is a number in GB, not in policy allowed_countries (US)",
        f'{path}:4:3: $.numbers["+16503334444"]: forward_to kept from Close: +44 909 879 0000 '
        "is a premium-rate number (GB), which policy refused_number_types refuses",
        f'{path}:6:3: $.numbers["+16503334446"]: phone_numbers kept from Close: +33 1 42 68 53 '
        "00 is a number in FR, not in policy allowed_countries (US)",
    ]


def test_an_external_number_is_held_to_no_rule(tmp_path: Path) -> None:
    desired = state(
        tmp_path,
        'version: 1\npolicy: {min_ringing: 2}\nnumbers:\n  "+16503334444": {label: Caller ID}\n',
    )
    external = LiveNumber("phon_x", "+16503334444", "", None, {"label": "x"}, type="external")
    assert build_plan(desired, [external]).has_changes


WAIVED = """\
version: 1
policy: {min_ringing: 2}
numbers:
  "+16503334444":
    label: Night line
    waive:
      min_ringing: "one person on call at night; the pager covers the rest"
      refused_number_types: kept while the old hotline winds down
"""


def test_the_plan_shows_each_waiver_with_its_reason_in_every_format(tmp_path: Path) -> None:
    desired = state(tmp_path, WAIVED)
    plan = build_plan(desired, [live("+16503334444", label="Night", participants=["user_a"])])
    path = f"{tmp_path}/numbers.yaml"
    assert plan.waivers == (
        policy.Waiver(
            "+16503334444",
            "+16503334444",
            path,
            7,
            "min_ringing",
            "one person on call at night; the pager covers the rest",
            True,
        ),
        policy.Waiver(
            "+16503334444",
            "+16503334444",
            path,
            8,
            "refused_number_types",
            "kept while the old hotline winds down",
            False,
        ),
    )
    text = render.render_text(plan)
    assert (
        "Policy waivers (2):\n"
        '    +1 650-333-4444 min_ringing: "one person on call at night; the pager covers the '
        f'rest" ({path}:7)\n'
        '    +1 650-333-4444 refused_number_types: "kept while the old hotline winds down" '
        f"({path}:8); not needed now: the number keeps the rule\n"
        "\n"
    ) in text
    markdown = render.render_markdown(plan)
    assert (
        "**Policy waivers (2):**\n\n"
        "| Number | Rule | Reason | Where |\n"
        "| --- | --- | --- | --- |\n"
        "| +1 650-333-4444 | `min_ringing` | one person on call at night; the pager covers the "
        f"rest | `{path}:7` |\n"
        "| +1 650-333-4444 | `refused_number_types` (not needed now: the number keeps it) | kept "
        f"while the old hotline winds down | `{path}:8` |\n"
    ) in markdown
    document = json.loads(render.render_json(plan))
    assert document["waivers"] == [
        {
            "number": "+16503334444",
            "key": "+16503334444",
            "file": path,
            "line": 7,
            "rule": "min_ringing",
            "reason": "one person on call at night; the pager covers the rest",
            "needed": True,
        },
        {
            "number": "+16503334444",
            "key": "+16503334444",
            "file": path,
            "line": 8,
            "rule": "refused_number_types",
            "reason": "kept while the old hotline winds down",
            "needed": False,
        },
    ]
    saved = tmp_path / "plan.json"
    saved.write_text(render.render_json(plan))
    assert read_plan(str(saved)).waivers == plan.waivers


def test_a_waivers_reason_cannot_forge_a_line_or_recolour_the_terminal(tmp_path: Path) -> None:
    desired = state(
        tmp_path,
        "version: 1\nnumbers:\n"
        '  "+16503334444":\n'
        '    waive: {min_ringing: "ok\\nError: forged\\e[2J"}\n',
    )
    plan = build_plan(desired, [live("+16503334444")])
    text = render.render_text(plan)
    markdown = render.render_markdown(plan)
    assert "\x1b" not in text + markdown
    assert "\nError: forged" not in text + markdown
    assert len(plan.waivers) == 1 and plan.waivers[0].reason == "ok\nError: forged\x1b[2J"


def test_the_schemas_rules_and_types_are_the_policy_modules() -> None:
    from numbersync.savedplan import read

    names = tuple(f.name for f in dataclasses.fields(Policy))
    schema = config.schema()
    rules = schema["properties"]["policy"]["properties"]
    waive = schema["$defs"]["settings"]["properties"]["waive"]["properties"]
    assert tuple(rules) == tuple(waive) == names
    assert set(rules["refused_number_types"]["items"]["enum"]) == set(policy.NUMBER_TYPES)
    saved = read.schema()["properties"]["waivers"]["items"]["properties"]["rule"]["enum"]
    assert tuple(saved) == names


def test_explain_names_the_numbers_waivers(tmp_path: Path) -> None:
    path = write(tmp_path / "numbers.yaml", WAIVED)
    result = CliRunner().invoke(main, ["explain", "+16503334444", "-c", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2:] == [
        f'Policy waived: min_ringing at {path}:7: "one person on call at night; the pager '
        'covers the rest"',
        f'Policy waived: refused_number_types at {path}:8: "kept while the old hotline winds down"',
    ]
