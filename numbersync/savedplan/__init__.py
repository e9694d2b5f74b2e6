"""The saved plan (`plan --out PLANFILE`, `plan --format json`) and everything about its format:
`write` makes its document, `read` reads a file back into a Plan against schemas/plan.schema.json,
and `check` verifies a saved plan against its config and Close before it is applied."""
