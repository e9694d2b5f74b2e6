"""CI jobs for GitHub Actions: plan on a pull request, apply on merge, drift on a schedule, with
the GitHub REST API for what a workflow would otherwise script inline (the reviewed plan, the
plan comment, labels, the job summary). The composite action at the repository root calls them
through `numbersync ci ...`.
"""
