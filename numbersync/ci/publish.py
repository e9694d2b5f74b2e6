"""Where the CI jobs put a plan for people to read: the one plan comment of a pull request
(found by the Markdown plan's hidden marker and updated in place), the risk labels, and the one
open drift issue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from numbersync.ci.github import GitHub
from numbersync.render import MARKDOWN_MARKER

BOT = "github-actions[bot]"  # who comments with the job's own GITHUB_TOKEN
RISKY_LABEL = "numbersync: risky"
REFUSED_LABEL = "numbersync: needs --force"
DRIFT_LABEL = "drift"
GITHUB_BODY_LIMIT = 65_536  # characters, for a comment or an issue body


def upsert_comment(github: GitHub, issue: int, body: str, *, author: str = BOT) -> str:
    """Update the plan comment on `issue` (by `author`, carrying the marker) or create it;
    a person's comment that quotes the marker is never touched. Returns what it did."""
    ours = next(
        (
            c
            for c in github.comments(issue)
            if (c.get("user") or {}).get("login") == author
            and MARKDOWN_MARKER in (c.get("body") or "")
        ),
        None,
    )
    if ours is None:
        github.create_comment(issue, body)
        return "created"
    github.update_comment(int(ours["id"]), body)
    return "updated"


@dataclass(frozen=True)
class Risk:
    """What a plan's JSON says about risk: numbers whose change shrinks who they ring or switches
    forwarding, and apply's safety verdict when the plan carries one."""

    risky: int
    refuses: bool

    @classmethod
    def of(cls, plan: Mapping[str, Any]) -> Risk:
        summary = plan.get("summary") or {}
        verdict = plan.get("verdict") or {}
        risky = summary.get("risky", 0) if isinstance(summary, dict) else 0
        refuses = verdict.get("refuses", False) if isinstance(verdict, dict) else False
        return cls(risky if isinstance(risky, int) else 0, refuses is True)

    @property
    def any(self) -> bool:
        return self.risky > 0 or self.refuses


def set_risk_labels(github: GitHub, issue: int, risk: Risk) -> list[str]:
    """Put on (or take off) `numbersync: risky` and `numbersync: needs --force`, so that a
    branch rule or a reviewer can ask for a second look. Returns the changes made."""
    wanted = {RISKY_LABEL: risk.risky > 0, REFUSED_LABEL: risk.refuses}
    present = set(github.labels(issue))
    add = [name for name, on in wanted.items() if on and name not in present]
    remove = [name for name, on in wanted.items() if not on and name in present]
    if add:
        github.add_labels(issue, add)
    for name in remove:
        github.remove_label(issue, name)
    return [f"+{name}" for name in add] + [f"-{name}" for name in remove]


def drift_issue(github: GitHub, *, drifted: bool, title: str, body: str) -> str:
    """Keep one open issue labelled `drift` (found by the marker) while Close differs from the
    config: open it, or update it; close it with a note once Close matches again."""
    ours = [i for i in github.open_issues(DRIFT_LABEL) if MARKDOWN_MARKER in (i.get("body") or "")]
    if drifted and ours:
        github.update_issue(int(ours[0]["number"]), {"body": body})
        return f"updated #{ours[0]['number']}"
    if drifted:
        created = github.create_issue(title, body, [DRIFT_LABEL])
        return f"opened #{created.get('number', '?')}"
    for issue in ours:
        number = int(issue["number"])
        github.create_comment(number, "numbersync plan found no changes: Close matches again.")
        github.update_issue(number, {"state": "closed", "state_reason": "completed"})
    return ", ".join(f"closed #{i['number']}" for i in ours) or "nothing to do"


def fit(intro: str, plan: str, limit: int = GITHUB_BODY_LIMIT) -> str:
    """`intro` then `plan` in one body GitHub takes: the plan (at most 65,000 characters) is
    kept whole, the intro cut short if the two are too long together."""
    room = limit - len(plan) - 2
    if len(intro) > room:
        intro = intro[: max(room - 20, 0)] + "\n\n(... cut ...)"
    return f"{intro}\n\n{plan}" if intro else plan
