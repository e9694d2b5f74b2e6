"""Names vulture cannot see used: hooks that frameworks call, then (a short list, to shrink) names
that only the tests, the benchmarks or branches in flight read.

Read by vulture only (`make lint`). Click commands and the emulator's routes are found through
their decorators instead (`ignore_decorators` in pyproject.toml), so a new command or route
needs no line here.
"""

# click: the command group's hooks (numbersync/cli/__init__.py).
_.list_commands
_.get_command
_.format_commands

# httpx: an Auth's request hook (numbersync/close/transport.py).
_.auth_flow

# ruamel.yaml: the round-trip loader reads its settings as attributes (numbersync/edit.py).
_.preserve_quotes

# http.server and socketserver: the request handler's methods and the settings both read from
# the class (numbersync/emulator/server.py).
_.do_GET
_.do_PUT
_.do_POST
_.do_DELETE
_.do_PATCH
_.log_message
_.handle_error
_.sys_version
_.disable_nagle_algorithm
_.daemon_threads
_.block_on_close
_.request_queue_size
_.address_family

# Signatures fixed by the caller: signal handlers, context managers' __exit__, and a jsonschema
# keyword's validator (validator, value, instance, schema).
frame
exc_type
tb
exc_info
subschema

# Not framework hooks: read only from outside the package, so vulture cannot see them.
# The emulator's controls for tests: start a fresh log, read its numbers by id, let an account
# drift under a run.
_.reset_log
_.numbers_by_id
_.set_number_fields
# Close's display form of a number, on LiveNumber for the tests to read.
_.number_formatted
