"""The saved plan's document: the versioned JSON form of a Plan that `plan --out` saves and
`--format json` prints. `read` reads it back; schemas/plan.schema.json describes it."""

from __future__ import annotations

from typing import Any

from numbersync import __version__
from numbersync.kinds.groups import KIND as GROUPS
from numbersync.models import SET_FIELDS
from numbersync.plan import AcceptedDifference, FieldChange, Plan
from numbersync.ringing import Rings

FORMAT_VERSION = 1


def json_value(change: FieldChange, value: Any) -> Any:
    return list(value) if change.field in SET_FIELDS and value is not None else value


def plan_document(plan: Plan) -> dict[str, Any]:
    """The versioned JSON form of a plan: what `--format json` prints and `--out` saves."""
    document: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "numbersync_version": __version__,
        "config": {"path": plan.config_path, "fingerprint": plan.fingerprint},
        "safety": {
            "max_change_percent": plan.safety.max_change_percent,
            "min_managed": plan.safety.min_managed,
        },
        "summary": {
            "change": len(plan.changes),
            "unchanged": len(plan.unchanged),
            "unmanaged": len(plan.unmanaged),
            "untargeted": plan.untargeted,
            "risky": plan.risky,
            "group_change": len(plan.groups),
        },
        "verdict": _verdict_document(plan),
        "files": [
            {"path": f.path, "change": f.changes, "unchanged": f.unchanged} for f in plan.files
        ],
        "changes": [
            {
                "id": change.id,
                "number": change.number,
                "key": change.key,
                "file": change.file,
                "label": change.label,
                "date_updated": change.date_updated,
                "field": c.field,
                "before": json_value(c, c.before),
                "after": json_value(c, c.after),
                "risk": c.risk,
                "owner": change.owner,
                "shares": change.shares,
            }
            for change in plan.changes
            for c in change.fields
        ],
        "rings": [
            {
                "id": change.id,
                "number": change.number,
                "before": ring_document(plan, change.rings_before),
                "after": ring_document(plan, change.rings_after),
                "risk": change.ring_risk,
            }
            for change in plan.changes
            if change.rings_before is not None and change.rings_after is not None
        ],
        "unchanged": list(plan.unchanged),
        "unmanaged": [{"id": n.id, "number": n.number, "label": n.label} for n in plan.unmanaged],
        "warnings": list(plan.warnings),
        "users": dict(sorted(plan.emails.items())),
        "groups": dict(sorted(plan.group_names.items())),
        "group_changes": [GROUPS.document(change, plan.emails) for change in plan.groups],
        "waivers": [
            {
                "number": w.number,
                "key": w.key,
                "file": w.file,
                "line": w.line,
                "rule": w.rule,
                "reason": w.reason,
                "needed": w.needed,
            }
            for w in plan.waivers
        ],
    }
    if plan.accepted:  # only then, so that a plan without acceptances reads as before
        document["accepted"] = [_accepted_document(a) for a in plan.accepted]
    if plan.base is not None:  # only with --base: without it, plans are as they were
        document["base"] = {
            "name": plan.base,
            "no_longer_managed": [
                {
                    "kind": item.kind,
                    "id": item.id,
                    "name": item.name,
                    "field": item.field,
                    "keeps": list(item.keeps) if isinstance(item.keeps, tuple) else item.keeps,
                    "label": item.label,
                    "file": item.file,
                }
                for item in plan.no_longer_managed
            ],
        }
    return document


def ring_document(plan: Plan, ring: Rings) -> dict[str, Any]:
    """Who a number rings, as `read` takes it back (participants, groups with their members,
    external numbers), and every user rung with their email, for programs."""
    return {
        "participants": list(ring.participants),
        "groups": [
            {"id": g.id, "members": None if g.members is None else list(g.members)}
            for g in ring.groups
        ],
        "phone_numbers": list(ring.phone_numbers),
        "people": [
            {"user_id": u, "email": plan.emails.get(u), "via": list(ring.via(u))}
            for u in ring.users
        ],
    }


def _accepted_document(a: AcceptedDifference) -> dict[str, Any]:
    """An acceptance of drift, shown again by `show`; apply never writes it."""

    def value(v: Any) -> Any:
        return list(v) if a.field in SET_FIELDS and v is not None else v

    if a.group is not None:
        return {
            "id": a.id,
            "group": a.group,
            "key": a.key,
            "file": a.file,
            "field": a.field,
            "before": list(a.before or ()),
            "after": list(a.after or ()),
            "value": list(a.value or ()),
            "reason": a.reason,
            "until": a.until,
            "holds": a.holds,
            "why": a.why,
        }
    return {
        "id": a.id,
        "number": a.number,
        "key": a.key,
        "file": a.file,
        "label": a.label,
        "field": a.field,
        "before": value(a.before),
        "after": value(a.after),
        "value": value(a.value),
        "reason": a.reason,
        "until": a.until,
        "holds": a.holds,
        "why": a.why,
    }


def _verdict_document(plan: Plan) -> dict[str, Any] | None:
    """Apply's verdict, for CI: whether it refuses without --force and why, and each change
    Close will refuse with its owner."""
    if plan.verdict is None:
        return None
    return {
        "refuses": plan.verdict.refuses,
        "reasons": list(plan.verdict.reasons),
        "close_refuses": [
            {
                "id": c.id,
                "number": c.number,
                "owner": c.owner,
                "owner_email": plan.emails.get(c.owner or ""),
                "reason": "personal number: Close lets only its owner change it",
            }
            for c in plan.refused_by_close
        ],
    }
