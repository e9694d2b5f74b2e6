# Generated from schemas/plan.schema.json by
# numbersync.savedplan.read.quick_check_source:
# do not edit; regenerate with `python -m numbersync.savedplan.read`.
VERSION = "2.22.3"
from decimal import Decimal
import re
class JsonSchemaValueException(ValueError):
    def __init__(self, message, value=None, name=None, definition=None, rule=None):
        super().__init__(message)


JsonSchemaValuesException = JsonSchemaValueException


REGEX_PATTERNS = {
    '^sha256:[0-9a-f]{64}$': re.compile('^sha256:[0-9a-f]{64}\\Z'),
    '^phon_[A-Za-z0-9]+$': re.compile('^phon_[A-Za-z0-9]+\\Z'),
    '^\\+[1-9][0-9]{1,14}$': re.compile('^\\+[1-9][0-9]{1,14}\\Z'),
    '^user_[A-Za-z0-9]+$': re.compile('^user_[A-Za-z0-9]+\\Z')
}

NoneType = type(None)

def validate(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object", value=data, name="" + (name_prefix or "data") + "", definition={'title': 'numbersync plan', 'description': "What `numbersync plan --format json` prints and `plan --out PLANFILE` saves, and what `show PLANFILE` and `apply PLANFILE` read back: the changes one config asks of the live numbers, field by field. `apply PLANFILE` refuses a file that does not validate, before any request, and applies one only once verified against the config it was made from. Keys marked 'since 0.2' are absent from plans of numbersync 0.1, which are still read.", 'type': 'object', 'additionalProperties': False, 'required': ['format_version', 'numbersync_version', 'config', 'safety', 'summary', 'changes', 'unchanged', 'unmanaged', 'warnings', 'users', 'groups'], 'properties': {'format_version': {'description': 'The plan format: always the integer 1 for this version of numbersync (1.0 is refused).', 'const': 1}, 'numbersync_version': {'description': 'The version of numbersync that made the plan.', 'type': 'string'}, 'config': {'description': 'The desired-state file (or directory) the plan was made from.', 'type': 'object', 'additionalProperties': False, 'required': ['path', 'fingerprint'], 'properties': {'path': {'description': 'As given to `plan -c`: a file, or a directory of files.', 'type': 'string', 'minLength': 1}, 'fingerprint': {'description': "sha256 of the file's bytes (of every file's path and bytes, for a directory), as `validate --format json` prints it.", 'type': 'string', 'pattern': '^sha256:[0-9a-f]{64}$', 'x-error': 'must be sha256: and 64 hexadecimal digits'}}}, 'safety': {'description': "The config's rails (its `safety`, or the defaults), for reviewers: `apply PLANFILE` takes them from the config it verifies the plan with, never from the file.", 'type': 'object', 'additionalProperties': False, 'required': ['max_change_percent', 'min_managed'], 'properties': {'max_change_percent': {'type': 'number', 'minimum': 0, 'maximum': 100}, 'min_managed': {'type': 'integer', 'minimum': 0}}}, 'summary': {'description': 'Counts of numbers: changed, unchanged, unmanaged; `untargeted` (left out by --target or --exclude) and `risky` (with a change that may leave callers unanswered) since 0.2.', 'type': 'object', 'additionalProperties': False, 'required': ['change', 'unchanged', 'unmanaged'], 'properties': {'change': {'type': 'integer', 'minimum': 0}, 'unchanged': {'type': 'integer', 'minimum': 0}, 'unmanaged': {'type': 'integer', 'minimum': 0}, 'untargeted': {'type': 'integer', 'minimum': 0}, 'risky': {'type': 'integer', 'minimum': 0}}}, 'verdict': {'description': "Since 0.3: apply's verdict when the plan was made (apply judges again on what Close has then): whether it refuses the plan without --force, why, and each change Close will refuse. null when the plan was not judged.", 'type': ['object', 'null'], 'additionalProperties': False, 'required': ['refuses', 'reasons', 'close_refuses'], 'properties': {'refuses': {'type': 'boolean'}, 'reasons': {'type': 'array', 'items': {'type': 'string'}}, 'close_refuses': {'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'owner', 'owner_email', 'reason'], 'properties': {'id': {'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, 'number': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, 'owner': {'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, 'owner_email': {'type': ['string', 'null']}, 'reason': {'type': 'string'}}}}}}, 'files': {'description': 'Since 0.2: every file of the config in path order (one for a single file), with its counts.', 'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['path', 'change', 'unchanged'], 'properties': {'path': {'type': 'string', 'minLength': 1}, 'change': {'type': 'integer', 'minimum': 0}, 'unchanged': {'type': 'integer', 'minimum': 0}}}}, 'changes': {'description': 'One row per changed field, file by file, then by number; the rows of one number are together and agree on everything but the field.', 'type': 'array', 'items': {'description': 'One field of one number: `before` as Close has it (normalised), `after` as the config wants it. `file` and `date_updated` since 0.2, `risk` since 0.2, `owner` and `shares` since 0.3.', 'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'key', 'label', 'field', 'before', 'after'], 'properties': {'id': {'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, 'number': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, 'key': {'description': "The number's key as written in its config file.", 'type': 'string', 'minLength': 1}, 'file': {'description': 'The config file the number is written in.', 'type': 'string', 'minLength': 1}, 'label': {'description': "The number's label after the change (its label in Close when the label does not change).", 'type': ['string', 'null']}, 'date_updated': {'description': 'When Close last changed the number, as Close writes it.', 'type': ['string', 'null']}, 'field': {'enum': ['label', 'forward_to', 'forward_to_enabled', 'inbound_ring_duration', 'participants', 'participant_groups', 'phone_numbers', 'press_1_to_accept', 'voicemail_greeting_url'], 'x-error': 'must be one of the fields numbersync manages'}, 'before': True, 'after': True, 'risk': {'enum': [None, 'removes participants', 'removes groups', 'removes phone numbers', 'switches forwarding on', 'switches forwarding off'], 'x-error': 'must be null or one of the risks numbersync names'}, 'owner': {'description': "The user whose personal number this is, when it is not the caller's: Close lets only them change it, so it will refuse the change.", 'anyOf': [{'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, {'type': 'null'}], 'x-error': 'must be null or a user id (user_ and letters or digits)'}, 'shares': {'description': 'Whether the change turns a personal number into a shared one (it then rings more than its one user).', 'type': 'boolean'}}}}, 'unchanged': {'description': 'The managed numbers with nothing to change, as Close writes them.', 'type': 'array', 'items': {'type': 'string'}}, 'unmanaged': {'description': 'The numbers of the account that the config does not name.', 'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'label'], 'properties': {'id': {'type': 'string'}, 'number': {'type': 'string'}, 'label': {'type': ['string', 'null']}}}}, 'warnings': {'description': 'Advisory notes, one line each.', 'type': 'array', 'items': {'type': 'string'}}, 'users': {'description': 'User id to email, to show the ids of the plan; never used to resolve one.', 'type': 'object', 'additionalProperties': {'type': 'string'}}, 'groups': {'description': 'Group id to name, to show the ids of the plan; never used to resolve one.', 'type': 'object', 'additionalProperties': {'type': 'string'}}, 'base': {'description': 'Since 0.4, only with `plan --base`: the earlier config compared with, and what the config no longer manages compared with it. Never changes: Close keeps them as they are, and `apply` sends nothing for them.', 'type': 'object', 'additionalProperties': False, 'required': ['name', 'no_longer_managed'], 'properties': {'name': {'description': 'The base as given to --base: a path, or a Git ref.', 'type': 'string', 'minLength': 1}, 'no_longer_managed': {'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['kind', 'id', 'name', 'field', 'keeps', 'label', 'file'], 'properties': {'kind': {'description': 'number (the whole number), field (one field of a number still managed) or group (its membership)', 'enum': ['number', 'field', 'group']}, 'id': {'description': "The number's or the group's Close id (a group's key when the groups were not read).", 'type': 'string'}, 'name': {'description': "The number (E.164), or the group's name.", 'type': 'string'}, 'field': {'description': 'The field let go: a managed field, `members` for a group, empty for a whole number.', 'type': 'string'}, 'keeps': {'description': 'What Close keeps, normalised (user and group ids in lists); null for a whole number, or a group whose members were not read.', 'type': ['string', 'boolean', 'integer', 'null', 'array'], 'items': {'type': 'string'}}, 'label': {'description': "The number's label in Close.", 'type': ['string', 'null']}, 'file': {'description': "The base's file that managed it.", 'type': 'string'}}}}}}}}, rule='type')
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['format_version', 'numbersync_version', 'config', 'safety', 'summary', 'changes', 'unchanged', 'unmanaged', 'warnings', 'users', 'groups']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain " + (str(sorted(data__missing_keys)) + " properties"), value=data, name="" + (name_prefix or "data") + "", definition={'title': 'numbersync plan', 'description': "What `numbersync plan --format json` prints and `plan --out PLANFILE` saves, and what `show PLANFILE` and `apply PLANFILE` read back: the changes one config asks of the live numbers, field by field. `apply PLANFILE` refuses a file that does not validate, before any request, and applies one only once verified against the config it was made from. Keys marked 'since 0.2' are absent from plans of numbersync 0.1, which are still read.", 'type': 'object', 'additionalProperties': False, 'required': ['format_version', 'numbersync_version', 'config', 'safety', 'summary', 'changes', 'unchanged', 'unmanaged', 'warnings', 'users', 'groups'], 'properties': {'format_version': {'description': 'The plan format: always the integer 1 for this version of numbersync (1.0 is refused).', 'const': 1}, 'numbersync_version': {'description': 'The version of numbersync that made the plan.', 'type': 'string'}, 'config': {'description': 'The desired-state file (or directory) the plan was made from.', 'type': 'object', 'additionalProperties': False, 'required': ['path', 'fingerprint'], 'properties': {'path': {'description': 'As given to `plan -c`: a file, or a directory of files.', 'type': 'string', 'minLength': 1}, 'fingerprint': {'description': "sha256 of the file's bytes (of every file's path and bytes, for a directory), as `validate --format json` prints it.", 'type': 'string', 'pattern': '^sha256:[0-9a-f]{64}$', 'x-error': 'must be sha256: and 64 hexadecimal digits'}}}, 'safety': {'description': "The config's rails (its `safety`, or the defaults), for reviewers: `apply PLANFILE` takes them from the config it verifies the plan with, never from the file.", 'type': 'object', 'additionalProperties': False, 'required': ['max_change_percent', 'min_managed'], 'properties': {'max_change_percent': {'type': 'number', 'minimum': 0, 'maximum': 100}, 'min_managed': {'type': 'integer', 'minimum': 0}}}, 'summary': {'description': 'Counts of numbers: changed, unchanged, unmanaged; `untargeted` (left out by --target or --exclude) and `risky` (with a change that may leave callers unanswered) since 0.2.', 'type': 'object', 'additionalProperties': False, 'required': ['change', 'unchanged', 'unmanaged'], 'properties': {'change': {'type': 'integer', 'minimum': 0}, 'unchanged': {'type': 'integer', 'minimum': 0}, 'unmanaged': {'type': 'integer', 'minimum': 0}, 'untargeted': {'type': 'integer', 'minimum': 0}, 'risky': {'type': 'integer', 'minimum': 0}}}, 'verdict': {'description': "Since 0.3: apply's verdict when the plan was made (apply judges again on what Close has then): whether it refuses the plan without --force, why, and each change Close will refuse. null when the plan was not judged.", 'type': ['object', 'null'], 'additionalProperties': False, 'required': ['refuses', 'reasons', 'close_refuses'], 'properties': {'refuses': {'type': 'boolean'}, 'reasons': {'type': 'array', 'items': {'type': 'string'}}, 'close_refuses': {'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'owner', 'owner_email', 'reason'], 'properties': {'id': {'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, 'number': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, 'owner': {'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, 'owner_email': {'type': ['string', 'null']}, 'reason': {'type': 'string'}}}}}}, 'files': {'description': 'Since 0.2: every file of the config in path order (one for a single file), with its counts.', 'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['path', 'change', 'unchanged'], 'properties': {'path': {'type': 'string', 'minLength': 1}, 'change': {'type': 'integer', 'minimum': 0}, 'unchanged': {'type': 'integer', 'minimum': 0}}}}, 'changes': {'description': 'One row per changed field, file by file, then by number; the rows of one number are together and agree on everything but the field.', 'type': 'array', 'items': {'description': 'One field of one number: `before` as Close has it (normalised), `after` as the config wants it. `file` and `date_updated` since 0.2, `risk` since 0.2, `owner` and `shares` since 0.3.', 'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'key', 'label', 'field', 'before', 'after'], 'properties': {'id': {'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, 'number': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, 'key': {'description': "The number's key as written in its config file.", 'type': 'string', 'minLength': 1}, 'file': {'description': 'The config file the number is written in.', 'type': 'string', 'minLength': 1}, 'label': {'description': "The number's label after the change (its label in Close when the label does not change).", 'type': ['string', 'null']}, 'date_updated': {'description': 'When Close last changed the number, as Close writes it.', 'type': ['string', 'null']}, 'field': {'enum': ['label', 'forward_to', 'forward_to_enabled', 'inbound_ring_duration', 'participants', 'participant_groups', 'phone_numbers', 'press_1_to_accept', 'voicemail_greeting_url'], 'x-error': 'must be one of the fields numbersync manages'}, 'before': True, 'after': True, 'risk': {'enum': [None, 'removes participants', 'removes groups', 'removes phone numbers', 'switches forwarding on', 'switches forwarding off'], 'x-error': 'must be null or one of the risks numbersync names'}, 'owner': {'description': "The user whose personal number this is, when it is not the caller's: Close lets only them change it, so it will refuse the change.", 'anyOf': [{'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, {'type': 'null'}], 'x-error': 'must be null or a user id (user_ and letters or digits)'}, 'shares': {'description': 'Whether the change turns a personal number into a shared one (it then rings more than its one user).', 'type': 'boolean'}}}}, 'unchanged': {'description': 'The managed numbers with nothing to change, as Close writes them.', 'type': 'array', 'items': {'type': 'string'}}, 'unmanaged': {'description': 'The numbers of the account that the config does not name.', 'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'label'], 'properties': {'id': {'type': 'string'}, 'number': {'type': 'string'}, 'label': {'type': ['string', 'null']}}}}, 'warnings': {'description': 'Advisory notes, one line each.', 'type': 'array', 'items': {'type': 'string'}}, 'users': {'description': 'User id to email, to show the ids of the plan; never used to resolve one.', 'type': 'object', 'additionalProperties': {'type': 'string'}}, 'groups': {'description': 'Group id to name, to show the ids of the plan; never used to resolve one.', 'type': 'object', 'additionalProperties': {'type': 'string'}}, 'base': {'description': 'Since 0.4, only with `plan --base`: the earlier config compared with, and what the config no longer manages compared with it. Never changes: Close keeps them as they are, and `apply` sends nothing for them.', 'type': 'object', 'additionalProperties': False, 'required': ['name', 'no_longer_managed'], 'properties': {'name': {'description': 'The base as given to --base: a path, or a Git ref.', 'type': 'string', 'minLength': 1}, 'no_longer_managed': {'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['kind', 'id', 'name', 'field', 'keeps', 'label', 'file'], 'properties': {'kind': {'description': 'number (the whole number), field (one field of a number still managed) or group (its membership)', 'enum': ['number', 'field', 'group']}, 'id': {'description': "The number's or the group's Close id (a group's key when the groups were not read).", 'type': 'string'}, 'name': {'description': "The number (E.164), or the group's name.", 'type': 'string'}, 'field': {'description': 'The field let go: a managed field, `members` for a group, empty for a whole number.', 'type': 'string'}, 'keeps': {'description': 'What Close keeps, normalised (user and group ids in lists); null for a whole number, or a group whose members were not read.', 'type': ['string', 'boolean', 'integer', 'null', 'array'], 'items': {'type': 'string'}}, 'label': {'description': "The number's label in Close.", 'type': ['string', 'null']}, 'file': {'description': "The base's file that managed it.", 'type': 'string'}}}}}}}}, rule='required')
        data_keys = set(data.keys())
        if "format_version" in data_keys:
            data_keys.remove("format_version")
            data__formatversion = data["format_version"]
            if not (isinstance(data__formatversion, (int, float)) and not isinstance(data__formatversion, bool) and data__formatversion == 1):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".format_version must be same as const definition: 1", value=data__formatversion, name="" + (name_prefix or "data") + ".format_version", definition={'description': 'The plan format: always the integer 1 for this version of numbersync (1.0 is refused).', 'const': 1}, rule='const')
        if "numbersync_version" in data_keys:
            data_keys.remove("numbersync_version")
            data__numbersyncversion = data["numbersync_version"]
            if not isinstance(data__numbersyncversion, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".numbersync_version must be string", value=data__numbersyncversion, name="" + (name_prefix or "data") + ".numbersync_version", definition={'description': 'The version of numbersync that made the plan.', 'type': 'string'}, rule='type')
        if "config" in data_keys:
            data_keys.remove("config")
            data__config = data["config"]
            if not isinstance(data__config, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".config must be object", value=data__config, name="" + (name_prefix or "data") + ".config", definition={'description': 'The desired-state file (or directory) the plan was made from.', 'type': 'object', 'additionalProperties': False, 'required': ['path', 'fingerprint'], 'properties': {'path': {'description': 'As given to `plan -c`: a file, or a directory of files.', 'type': 'string', 'minLength': 1}, 'fingerprint': {'description': "sha256 of the file's bytes (of every file's path and bytes, for a directory), as `validate --format json` prints it.", 'type': 'string', 'pattern': '^sha256:[0-9a-f]{64}$', 'x-error': 'must be sha256: and 64 hexadecimal digits'}}}, rule='type')
            data__config_is_dict = isinstance(data__config, dict)
            if data__config_is_dict:
                data__config__missing_keys = set(['path', 'fingerprint']) - data__config.keys()
                if data__config__missing_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".config must contain " + (str(sorted(data__config__missing_keys)) + " properties"), value=data__config, name="" + (name_prefix or "data") + ".config", definition={'description': 'The desired-state file (or directory) the plan was made from.', 'type': 'object', 'additionalProperties': False, 'required': ['path', 'fingerprint'], 'properties': {'path': {'description': 'As given to `plan -c`: a file, or a directory of files.', 'type': 'string', 'minLength': 1}, 'fingerprint': {'description': "sha256 of the file's bytes (of every file's path and bytes, for a directory), as `validate --format json` prints it.", 'type': 'string', 'pattern': '^sha256:[0-9a-f]{64}$', 'x-error': 'must be sha256: and 64 hexadecimal digits'}}}, rule='required')
                data__config_keys = set(data__config.keys())
                if "path" in data__config_keys:
                    data__config_keys.remove("path")
                    data__config__path = data__config["path"]
                    if not isinstance(data__config__path, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".config.path must be string", value=data__config__path, name="" + (name_prefix or "data") + ".config.path", definition={'description': 'As given to `plan -c`: a file, or a directory of files.', 'type': 'string', 'minLength': 1}, rule='type')
                    if isinstance(data__config__path, str):
                        data__config__path_len = len(data__config__path)
                        if data__config__path_len < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".config.path must be longer than or equal to 1 characters", value=data__config__path, name="" + (name_prefix or "data") + ".config.path", definition={'description': 'As given to `plan -c`: a file, or a directory of files.', 'type': 'string', 'minLength': 1}, rule='minLength')
                if "fingerprint" in data__config_keys:
                    data__config_keys.remove("fingerprint")
                    data__config__fingerprint = data__config["fingerprint"]
                    if not isinstance(data__config__fingerprint, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".config.fingerprint must be string", value=data__config__fingerprint, name="" + (name_prefix or "data") + ".config.fingerprint", definition={'description': "sha256 of the file's bytes (of every file's path and bytes, for a directory), as `validate --format json` prints it.", 'type': 'string', 'pattern': '^sha256:[0-9a-f]{64}$', 'x-error': 'must be sha256: and 64 hexadecimal digits'}, rule='type')
                    if isinstance(data__config__fingerprint, str):
                        if not REGEX_PATTERNS['^sha256:[0-9a-f]{64}$'].search(data__config__fingerprint):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".config.fingerprint must match pattern ^sha256:[0-9a-f]{64}$", value=data__config__fingerprint, name="" + (name_prefix or "data") + ".config.fingerprint", definition={'description': "sha256 of the file's bytes (of every file's path and bytes, for a directory), as `validate --format json` prints it.", 'type': 'string', 'pattern': '^sha256:[0-9a-f]{64}$', 'x-error': 'must be sha256: and 64 hexadecimal digits'}, rule='pattern')
                if data__config_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".config must not contain "+str(data__config_keys)+" properties", value=data__config, name="" + (name_prefix or "data") + ".config", definition={'description': 'The desired-state file (or directory) the plan was made from.', 'type': 'object', 'additionalProperties': False, 'required': ['path', 'fingerprint'], 'properties': {'path': {'description': 'As given to `plan -c`: a file, or a directory of files.', 'type': 'string', 'minLength': 1}, 'fingerprint': {'description': "sha256 of the file's bytes (of every file's path and bytes, for a directory), as `validate --format json` prints it.", 'type': 'string', 'pattern': '^sha256:[0-9a-f]{64}$', 'x-error': 'must be sha256: and 64 hexadecimal digits'}}}, rule='additionalProperties')
        if "safety" in data_keys:
            data_keys.remove("safety")
            data__safety = data["safety"]
            if not isinstance(data__safety, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".safety must be object", value=data__safety, name="" + (name_prefix or "data") + ".safety", definition={'description': "The config's rails (its `safety`, or the defaults), for reviewers: `apply PLANFILE` takes them from the config it verifies the plan with, never from the file.", 'type': 'object', 'additionalProperties': False, 'required': ['max_change_percent', 'min_managed'], 'properties': {'max_change_percent': {'type': 'number', 'minimum': 0, 'maximum': 100}, 'min_managed': {'type': 'integer', 'minimum': 0}}}, rule='type')
            data__safety_is_dict = isinstance(data__safety, dict)
            if data__safety_is_dict:
                data__safety__missing_keys = set(['max_change_percent', 'min_managed']) - data__safety.keys()
                if data__safety__missing_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".safety must contain " + (str(sorted(data__safety__missing_keys)) + " properties"), value=data__safety, name="" + (name_prefix or "data") + ".safety", definition={'description': "The config's rails (its `safety`, or the defaults), for reviewers: `apply PLANFILE` takes them from the config it verifies the plan with, never from the file.", 'type': 'object', 'additionalProperties': False, 'required': ['max_change_percent', 'min_managed'], 'properties': {'max_change_percent': {'type': 'number', 'minimum': 0, 'maximum': 100}, 'min_managed': {'type': 'integer', 'minimum': 0}}}, rule='required')
                data__safety_keys = set(data__safety.keys())
                if "max_change_percent" in data__safety_keys:
                    data__safety_keys.remove("max_change_percent")
                    data__safety__maxchangepercent = data__safety["max_change_percent"]
                    if not isinstance(data__safety__maxchangepercent, (int, float, Decimal)) or isinstance(data__safety__maxchangepercent, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".safety.max_change_percent must be number", value=data__safety__maxchangepercent, name="" + (name_prefix or "data") + ".safety.max_change_percent", definition={'type': 'number', 'minimum': 0, 'maximum': 100}, rule='type')
                    if isinstance(data__safety__maxchangepercent, (int, float, Decimal)) and not isinstance(data__safety__maxchangepercent, bool):
                        if data__safety__maxchangepercent < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".safety.max_change_percent must be bigger than or equal to 0", value=data__safety__maxchangepercent, name="" + (name_prefix or "data") + ".safety.max_change_percent", definition={'type': 'number', 'minimum': 0, 'maximum': 100}, rule='minimum')
                        if data__safety__maxchangepercent > 100:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".safety.max_change_percent must be smaller than or equal to 100", value=data__safety__maxchangepercent, name="" + (name_prefix or "data") + ".safety.max_change_percent", definition={'type': 'number', 'minimum': 0, 'maximum': 100}, rule='maximum')
                if "min_managed" in data__safety_keys:
                    data__safety_keys.remove("min_managed")
                    data__safety__minmanaged = data__safety["min_managed"]
                    if not isinstance(data__safety__minmanaged, (int)) and not (isinstance(data__safety__minmanaged, float) and data__safety__minmanaged.is_integer()) or isinstance(data__safety__minmanaged, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".safety.min_managed must be integer", value=data__safety__minmanaged, name="" + (name_prefix or "data") + ".safety.min_managed", definition={'type': 'integer', 'minimum': 0}, rule='type')
                    if isinstance(data__safety__minmanaged, (int, float, Decimal)) and not isinstance(data__safety__minmanaged, bool):
                        if data__safety__minmanaged < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".safety.min_managed must be bigger than or equal to 0", value=data__safety__minmanaged, name="" + (name_prefix or "data") + ".safety.min_managed", definition={'type': 'integer', 'minimum': 0}, rule='minimum')
                if data__safety_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".safety must not contain "+str(data__safety_keys)+" properties", value=data__safety, name="" + (name_prefix or "data") + ".safety", definition={'description': "The config's rails (its `safety`, or the defaults), for reviewers: `apply PLANFILE` takes them from the config it verifies the plan with, never from the file.", 'type': 'object', 'additionalProperties': False, 'required': ['max_change_percent', 'min_managed'], 'properties': {'max_change_percent': {'type': 'number', 'minimum': 0, 'maximum': 100}, 'min_managed': {'type': 'integer', 'minimum': 0}}}, rule='additionalProperties')
        if "summary" in data_keys:
            data_keys.remove("summary")
            data__summary = data["summary"]
            if not isinstance(data__summary, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".summary must be object", value=data__summary, name="" + (name_prefix or "data") + ".summary", definition={'description': 'Counts of numbers: changed, unchanged, unmanaged; `untargeted` (left out by --target or --exclude) and `risky` (with a change that may leave callers unanswered) since 0.2.', 'type': 'object', 'additionalProperties': False, 'required': ['change', 'unchanged', 'unmanaged'], 'properties': {'change': {'type': 'integer', 'minimum': 0}, 'unchanged': {'type': 'integer', 'minimum': 0}, 'unmanaged': {'type': 'integer', 'minimum': 0}, 'untargeted': {'type': 'integer', 'minimum': 0}, 'risky': {'type': 'integer', 'minimum': 0}}}, rule='type')
            data__summary_is_dict = isinstance(data__summary, dict)
            if data__summary_is_dict:
                data__summary__missing_keys = set(['change', 'unchanged', 'unmanaged']) - data__summary.keys()
                if data__summary__missing_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".summary must contain " + (str(sorted(data__summary__missing_keys)) + " properties"), value=data__summary, name="" + (name_prefix or "data") + ".summary", definition={'description': 'Counts of numbers: changed, unchanged, unmanaged; `untargeted` (left out by --target or --exclude) and `risky` (with a change that may leave callers unanswered) since 0.2.', 'type': 'object', 'additionalProperties': False, 'required': ['change', 'unchanged', 'unmanaged'], 'properties': {'change': {'type': 'integer', 'minimum': 0}, 'unchanged': {'type': 'integer', 'minimum': 0}, 'unmanaged': {'type': 'integer', 'minimum': 0}, 'untargeted': {'type': 'integer', 'minimum': 0}, 'risky': {'type': 'integer', 'minimum': 0}}}, rule='required')
                data__summary_keys = set(data__summary.keys())
                if "change" in data__summary_keys:
                    data__summary_keys.remove("change")
                    data__summary__change = data__summary["change"]
                    if not isinstance(data__summary__change, (int)) and not (isinstance(data__summary__change, float) and data__summary__change.is_integer()) or isinstance(data__summary__change, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".summary.change must be integer", value=data__summary__change, name="" + (name_prefix or "data") + ".summary.change", definition={'type': 'integer', 'minimum': 0}, rule='type')
                    if isinstance(data__summary__change, (int, float, Decimal)) and not isinstance(data__summary__change, bool):
                        if data__summary__change < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".summary.change must be bigger than or equal to 0", value=data__summary__change, name="" + (name_prefix or "data") + ".summary.change", definition={'type': 'integer', 'minimum': 0}, rule='minimum')
                if "unchanged" in data__summary_keys:
                    data__summary_keys.remove("unchanged")
                    data__summary__unchanged = data__summary["unchanged"]
                    if not isinstance(data__summary__unchanged, (int)) and not (isinstance(data__summary__unchanged, float) and data__summary__unchanged.is_integer()) or isinstance(data__summary__unchanged, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".summary.unchanged must be integer", value=data__summary__unchanged, name="" + (name_prefix or "data") + ".summary.unchanged", definition={'type': 'integer', 'minimum': 0}, rule='type')
                    if isinstance(data__summary__unchanged, (int, float, Decimal)) and not isinstance(data__summary__unchanged, bool):
                        if data__summary__unchanged < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".summary.unchanged must be bigger than or equal to 0", value=data__summary__unchanged, name="" + (name_prefix or "data") + ".summary.unchanged", definition={'type': 'integer', 'minimum': 0}, rule='minimum')
                if "unmanaged" in data__summary_keys:
                    data__summary_keys.remove("unmanaged")
                    data__summary__unmanaged = data__summary["unmanaged"]
                    if not isinstance(data__summary__unmanaged, (int)) and not (isinstance(data__summary__unmanaged, float) and data__summary__unmanaged.is_integer()) or isinstance(data__summary__unmanaged, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".summary.unmanaged must be integer", value=data__summary__unmanaged, name="" + (name_prefix or "data") + ".summary.unmanaged", definition={'type': 'integer', 'minimum': 0}, rule='type')
                    if isinstance(data__summary__unmanaged, (int, float, Decimal)) and not isinstance(data__summary__unmanaged, bool):
                        if data__summary__unmanaged < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".summary.unmanaged must be bigger than or equal to 0", value=data__summary__unmanaged, name="" + (name_prefix or "data") + ".summary.unmanaged", definition={'type': 'integer', 'minimum': 0}, rule='minimum')
                if "untargeted" in data__summary_keys:
                    data__summary_keys.remove("untargeted")
                    data__summary__untargeted = data__summary["untargeted"]
                    if not isinstance(data__summary__untargeted, (int)) and not (isinstance(data__summary__untargeted, float) and data__summary__untargeted.is_integer()) or isinstance(data__summary__untargeted, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".summary.untargeted must be integer", value=data__summary__untargeted, name="" + (name_prefix or "data") + ".summary.untargeted", definition={'type': 'integer', 'minimum': 0}, rule='type')
                    if isinstance(data__summary__untargeted, (int, float, Decimal)) and not isinstance(data__summary__untargeted, bool):
                        if data__summary__untargeted < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".summary.untargeted must be bigger than or equal to 0", value=data__summary__untargeted, name="" + (name_prefix or "data") + ".summary.untargeted", definition={'type': 'integer', 'minimum': 0}, rule='minimum')
                if "risky" in data__summary_keys:
                    data__summary_keys.remove("risky")
                    data__summary__risky = data__summary["risky"]
                    if not isinstance(data__summary__risky, (int)) and not (isinstance(data__summary__risky, float) and data__summary__risky.is_integer()) or isinstance(data__summary__risky, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".summary.risky must be integer", value=data__summary__risky, name="" + (name_prefix or "data") + ".summary.risky", definition={'type': 'integer', 'minimum': 0}, rule='type')
                    if isinstance(data__summary__risky, (int, float, Decimal)) and not isinstance(data__summary__risky, bool):
                        if data__summary__risky < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".summary.risky must be bigger than or equal to 0", value=data__summary__risky, name="" + (name_prefix or "data") + ".summary.risky", definition={'type': 'integer', 'minimum': 0}, rule='minimum')
                if data__summary_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".summary must not contain "+str(data__summary_keys)+" properties", value=data__summary, name="" + (name_prefix or "data") + ".summary", definition={'description': 'Counts of numbers: changed, unchanged, unmanaged; `untargeted` (left out by --target or --exclude) and `risky` (with a change that may leave callers unanswered) since 0.2.', 'type': 'object', 'additionalProperties': False, 'required': ['change', 'unchanged', 'unmanaged'], 'properties': {'change': {'type': 'integer', 'minimum': 0}, 'unchanged': {'type': 'integer', 'minimum': 0}, 'unmanaged': {'type': 'integer', 'minimum': 0}, 'untargeted': {'type': 'integer', 'minimum': 0}, 'risky': {'type': 'integer', 'minimum': 0}}}, rule='additionalProperties')
        if "verdict" in data_keys:
            data_keys.remove("verdict")
            data__verdict = data["verdict"]
            if not isinstance(data__verdict, (dict, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict must be object or null", value=data__verdict, name="" + (name_prefix or "data") + ".verdict", definition={'description': "Since 0.3: apply's verdict when the plan was made (apply judges again on what Close has then): whether it refuses the plan without --force, why, and each change Close will refuse. null when the plan was not judged.", 'type': ['object', 'null'], 'additionalProperties': False, 'required': ['refuses', 'reasons', 'close_refuses'], 'properties': {'refuses': {'type': 'boolean'}, 'reasons': {'type': 'array', 'items': {'type': 'string'}}, 'close_refuses': {'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'owner', 'owner_email', 'reason'], 'properties': {'id': {'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, 'number': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, 'owner': {'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, 'owner_email': {'type': ['string', 'null']}, 'reason': {'type': 'string'}}}}}}, rule='type')
            data__verdict_is_dict = isinstance(data__verdict, dict)
            if data__verdict_is_dict:
                data__verdict__missing_keys = set(['refuses', 'reasons', 'close_refuses']) - data__verdict.keys()
                if data__verdict__missing_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict must contain " + (str(sorted(data__verdict__missing_keys)) + " properties"), value=data__verdict, name="" + (name_prefix or "data") + ".verdict", definition={'description': "Since 0.3: apply's verdict when the plan was made (apply judges again on what Close has then): whether it refuses the plan without --force, why, and each change Close will refuse. null when the plan was not judged.", 'type': ['object', 'null'], 'additionalProperties': False, 'required': ['refuses', 'reasons', 'close_refuses'], 'properties': {'refuses': {'type': 'boolean'}, 'reasons': {'type': 'array', 'items': {'type': 'string'}}, 'close_refuses': {'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'owner', 'owner_email', 'reason'], 'properties': {'id': {'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, 'number': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, 'owner': {'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, 'owner_email': {'type': ['string', 'null']}, 'reason': {'type': 'string'}}}}}}, rule='required')
                data__verdict_keys = set(data__verdict.keys())
                if "refuses" in data__verdict_keys:
                    data__verdict_keys.remove("refuses")
                    data__verdict__refuses = data__verdict["refuses"]
                    if not isinstance(data__verdict__refuses, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict.refuses must be boolean", value=data__verdict__refuses, name="" + (name_prefix or "data") + ".verdict.refuses", definition={'type': 'boolean'}, rule='type')
                if "reasons" in data__verdict_keys:
                    data__verdict_keys.remove("reasons")
                    data__verdict__reasons = data__verdict["reasons"]
                    if not isinstance(data__verdict__reasons, (list, tuple)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict.reasons must be array", value=data__verdict__reasons, name="" + (name_prefix or "data") + ".verdict.reasons", definition={'type': 'array', 'items': {'type': 'string'}}, rule='type')
                    data__verdict__reasons_is_list = isinstance(data__verdict__reasons, (list, tuple))
                    if data__verdict__reasons_is_list:
                        data__verdict__reasons_len = len(data__verdict__reasons)
                        for data__verdict__reasons_x, data__verdict__reasons_item in enumerate(data__verdict__reasons):
                            if not isinstance(data__verdict__reasons_item, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict.reasons[{data__verdict__reasons_x}]".format(**locals()) + " must be string", value=data__verdict__reasons_item, name="" + (name_prefix or "data") + ".verdict.reasons[{data__verdict__reasons_x}]".format(**locals()) + "", definition={'type': 'string'}, rule='type')
                if "close_refuses" in data__verdict_keys:
                    data__verdict_keys.remove("close_refuses")
                    data__verdict__closerefuses = data__verdict["close_refuses"]
                    if not isinstance(data__verdict__closerefuses, (list, tuple)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict.close_refuses must be array", value=data__verdict__closerefuses, name="" + (name_prefix or "data") + ".verdict.close_refuses", definition={'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'owner', 'owner_email', 'reason'], 'properties': {'id': {'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, 'number': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, 'owner': {'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, 'owner_email': {'type': ['string', 'null']}, 'reason': {'type': 'string'}}}}, rule='type')
                    data__verdict__closerefuses_is_list = isinstance(data__verdict__closerefuses, (list, tuple))
                    if data__verdict__closerefuses_is_list:
                        data__verdict__closerefuses_len = len(data__verdict__closerefuses)
                        for data__verdict__closerefuses_x, data__verdict__closerefuses_item in enumerate(data__verdict__closerefuses):
                            if not isinstance(data__verdict__closerefuses_item, (dict)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}]".format(**locals()) + " must be object", value=data__verdict__closerefuses_item, name="" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}]".format(**locals()) + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'owner', 'owner_email', 'reason'], 'properties': {'id': {'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, 'number': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, 'owner': {'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, 'owner_email': {'type': ['string', 'null']}, 'reason': {'type': 'string'}}}, rule='type')
                            data__verdict__closerefuses_item_is_dict = isinstance(data__verdict__closerefuses_item, dict)
                            if data__verdict__closerefuses_item_is_dict:
                                data__verdict__closerefuses_item__missing_keys = set(['id', 'number', 'owner', 'owner_email', 'reason']) - data__verdict__closerefuses_item.keys()
                                if data__verdict__closerefuses_item__missing_keys:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}]".format(**locals()) + " must contain " + (str(sorted(data__verdict__closerefuses_item__missing_keys)) + " properties"), value=data__verdict__closerefuses_item, name="" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}]".format(**locals()) + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'owner', 'owner_email', 'reason'], 'properties': {'id': {'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, 'number': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, 'owner': {'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, 'owner_email': {'type': ['string', 'null']}, 'reason': {'type': 'string'}}}, rule='required')
                                data__verdict__closerefuses_item_keys = set(data__verdict__closerefuses_item.keys())
                                if "id" in data__verdict__closerefuses_item_keys:
                                    data__verdict__closerefuses_item_keys.remove("id")
                                    data__verdict__closerefuses_item__id = data__verdict__closerefuses_item["id"]
                                    if not isinstance(data__verdict__closerefuses_item__id, (str)):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}].id".format(**locals()) + " must be string", value=data__verdict__closerefuses_item__id, name="" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}].id".format(**locals()) + "", definition={'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, rule='type')
                                    if isinstance(data__verdict__closerefuses_item__id, str):
                                        if not REGEX_PATTERNS['^phon_[A-Za-z0-9]+$'].search(data__verdict__closerefuses_item__id):
                                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}].id".format(**locals()) + " must match pattern ^phon_[A-Za-z0-9]+$", value=data__verdict__closerefuses_item__id, name="" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}].id".format(**locals()) + "", definition={'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, rule='pattern')
                                if "number" in data__verdict__closerefuses_item_keys:
                                    data__verdict__closerefuses_item_keys.remove("number")
                                    data__verdict__closerefuses_item__number = data__verdict__closerefuses_item["number"]
                                    if not isinstance(data__verdict__closerefuses_item__number, (str)):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}].number".format(**locals()) + " must be string", value=data__verdict__closerefuses_item__number, name="" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}].number".format(**locals()) + "", definition={'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, rule='type')
                                    if isinstance(data__verdict__closerefuses_item__number, str):
                                        if not REGEX_PATTERNS['^\\+[1-9][0-9]{1,14}$'].search(data__verdict__closerefuses_item__number):
                                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}].number".format(**locals()) + " must match pattern ^\\+[1-9][0-9]{1,14}$", value=data__verdict__closerefuses_item__number, name="" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}].number".format(**locals()) + "", definition={'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, rule='pattern')
                                if "owner" in data__verdict__closerefuses_item_keys:
                                    data__verdict__closerefuses_item_keys.remove("owner")
                                    data__verdict__closerefuses_item__owner = data__verdict__closerefuses_item["owner"]
                                    if not isinstance(data__verdict__closerefuses_item__owner, (str)):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}].owner".format(**locals()) + " must be string", value=data__verdict__closerefuses_item__owner, name="" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}].owner".format(**locals()) + "", definition={'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, rule='type')
                                    if isinstance(data__verdict__closerefuses_item__owner, str):
                                        if not REGEX_PATTERNS['^user_[A-Za-z0-9]+$'].search(data__verdict__closerefuses_item__owner):
                                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}].owner".format(**locals()) + " must match pattern ^user_[A-Za-z0-9]+$", value=data__verdict__closerefuses_item__owner, name="" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}].owner".format(**locals()) + "", definition={'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, rule='pattern')
                                if "owner_email" in data__verdict__closerefuses_item_keys:
                                    data__verdict__closerefuses_item_keys.remove("owner_email")
                                    data__verdict__closerefuses_item__owneremail = data__verdict__closerefuses_item["owner_email"]
                                    if not isinstance(data__verdict__closerefuses_item__owneremail, (str, NoneType)):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}].owner_email".format(**locals()) + " must be string or null", value=data__verdict__closerefuses_item__owneremail, name="" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}].owner_email".format(**locals()) + "", definition={'type': ['string', 'null']}, rule='type')
                                if "reason" in data__verdict__closerefuses_item_keys:
                                    data__verdict__closerefuses_item_keys.remove("reason")
                                    data__verdict__closerefuses_item__reason = data__verdict__closerefuses_item["reason"]
                                    if not isinstance(data__verdict__closerefuses_item__reason, (str)):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}].reason".format(**locals()) + " must be string", value=data__verdict__closerefuses_item__reason, name="" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}].reason".format(**locals()) + "", definition={'type': 'string'}, rule='type')
                                if data__verdict__closerefuses_item_keys:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}]".format(**locals()) + " must not contain "+str(data__verdict__closerefuses_item_keys)+" properties", value=data__verdict__closerefuses_item, name="" + (name_prefix or "data") + ".verdict.close_refuses[{data__verdict__closerefuses_x}]".format(**locals()) + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'owner', 'owner_email', 'reason'], 'properties': {'id': {'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, 'number': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, 'owner': {'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, 'owner_email': {'type': ['string', 'null']}, 'reason': {'type': 'string'}}}, rule='additionalProperties')
                if data__verdict_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".verdict must not contain "+str(data__verdict_keys)+" properties", value=data__verdict, name="" + (name_prefix or "data") + ".verdict", definition={'description': "Since 0.3: apply's verdict when the plan was made (apply judges again on what Close has then): whether it refuses the plan without --force, why, and each change Close will refuse. null when the plan was not judged.", 'type': ['object', 'null'], 'additionalProperties': False, 'required': ['refuses', 'reasons', 'close_refuses'], 'properties': {'refuses': {'type': 'boolean'}, 'reasons': {'type': 'array', 'items': {'type': 'string'}}, 'close_refuses': {'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'owner', 'owner_email', 'reason'], 'properties': {'id': {'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, 'number': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, 'owner': {'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, 'owner_email': {'type': ['string', 'null']}, 'reason': {'type': 'string'}}}}}}, rule='additionalProperties')
        if "files" in data_keys:
            data_keys.remove("files")
            data__files = data["files"]
            if not isinstance(data__files, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".files must be array", value=data__files, name="" + (name_prefix or "data") + ".files", definition={'description': 'Since 0.2: every file of the config in path order (one for a single file), with its counts.', 'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['path', 'change', 'unchanged'], 'properties': {'path': {'type': 'string', 'minLength': 1}, 'change': {'type': 'integer', 'minimum': 0}, 'unchanged': {'type': 'integer', 'minimum': 0}}}}, rule='type')
            data__files_is_list = isinstance(data__files, (list, tuple))
            if data__files_is_list:
                data__files_len = len(data__files)
                for data__files_x, data__files_item in enumerate(data__files):
                    if not isinstance(data__files_item, (dict)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".files[{data__files_x}]".format(**locals()) + " must be object", value=data__files_item, name="" + (name_prefix or "data") + ".files[{data__files_x}]".format(**locals()) + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['path', 'change', 'unchanged'], 'properties': {'path': {'type': 'string', 'minLength': 1}, 'change': {'type': 'integer', 'minimum': 0}, 'unchanged': {'type': 'integer', 'minimum': 0}}}, rule='type')
                    data__files_item_is_dict = isinstance(data__files_item, dict)
                    if data__files_item_is_dict:
                        data__files_item__missing_keys = set(['path', 'change', 'unchanged']) - data__files_item.keys()
                        if data__files_item__missing_keys:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".files[{data__files_x}]".format(**locals()) + " must contain " + (str(sorted(data__files_item__missing_keys)) + " properties"), value=data__files_item, name="" + (name_prefix or "data") + ".files[{data__files_x}]".format(**locals()) + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['path', 'change', 'unchanged'], 'properties': {'path': {'type': 'string', 'minLength': 1}, 'change': {'type': 'integer', 'minimum': 0}, 'unchanged': {'type': 'integer', 'minimum': 0}}}, rule='required')
                        data__files_item_keys = set(data__files_item.keys())
                        if "path" in data__files_item_keys:
                            data__files_item_keys.remove("path")
                            data__files_item__path = data__files_item["path"]
                            if not isinstance(data__files_item__path, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".files[{data__files_x}].path".format(**locals()) + " must be string", value=data__files_item__path, name="" + (name_prefix or "data") + ".files[{data__files_x}].path".format(**locals()) + "", definition={'type': 'string', 'minLength': 1}, rule='type')
                            if isinstance(data__files_item__path, str):
                                data__files_item__path_len = len(data__files_item__path)
                                if data__files_item__path_len < 1:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".files[{data__files_x}].path".format(**locals()) + " must be longer than or equal to 1 characters", value=data__files_item__path, name="" + (name_prefix or "data") + ".files[{data__files_x}].path".format(**locals()) + "", definition={'type': 'string', 'minLength': 1}, rule='minLength')
                        if "change" in data__files_item_keys:
                            data__files_item_keys.remove("change")
                            data__files_item__change = data__files_item["change"]
                            if not isinstance(data__files_item__change, (int)) and not (isinstance(data__files_item__change, float) and data__files_item__change.is_integer()) or isinstance(data__files_item__change, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".files[{data__files_x}].change".format(**locals()) + " must be integer", value=data__files_item__change, name="" + (name_prefix or "data") + ".files[{data__files_x}].change".format(**locals()) + "", definition={'type': 'integer', 'minimum': 0}, rule='type')
                            if isinstance(data__files_item__change, (int, float, Decimal)) and not isinstance(data__files_item__change, bool):
                                if data__files_item__change < 0:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".files[{data__files_x}].change".format(**locals()) + " must be bigger than or equal to 0", value=data__files_item__change, name="" + (name_prefix or "data") + ".files[{data__files_x}].change".format(**locals()) + "", definition={'type': 'integer', 'minimum': 0}, rule='minimum')
                        if "unchanged" in data__files_item_keys:
                            data__files_item_keys.remove("unchanged")
                            data__files_item__unchanged = data__files_item["unchanged"]
                            if not isinstance(data__files_item__unchanged, (int)) and not (isinstance(data__files_item__unchanged, float) and data__files_item__unchanged.is_integer()) or isinstance(data__files_item__unchanged, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".files[{data__files_x}].unchanged".format(**locals()) + " must be integer", value=data__files_item__unchanged, name="" + (name_prefix or "data") + ".files[{data__files_x}].unchanged".format(**locals()) + "", definition={'type': 'integer', 'minimum': 0}, rule='type')
                            if isinstance(data__files_item__unchanged, (int, float, Decimal)) and not isinstance(data__files_item__unchanged, bool):
                                if data__files_item__unchanged < 0:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".files[{data__files_x}].unchanged".format(**locals()) + " must be bigger than or equal to 0", value=data__files_item__unchanged, name="" + (name_prefix or "data") + ".files[{data__files_x}].unchanged".format(**locals()) + "", definition={'type': 'integer', 'minimum': 0}, rule='minimum')
                        if data__files_item_keys:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".files[{data__files_x}]".format(**locals()) + " must not contain "+str(data__files_item_keys)+" properties", value=data__files_item, name="" + (name_prefix or "data") + ".files[{data__files_x}]".format(**locals()) + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['path', 'change', 'unchanged'], 'properties': {'path': {'type': 'string', 'minLength': 1}, 'change': {'type': 'integer', 'minimum': 0}, 'unchanged': {'type': 'integer', 'minimum': 0}}}, rule='additionalProperties')
        if "changes" in data_keys:
            data_keys.remove("changes")
            data__changes = data["changes"]
            if not isinstance(data__changes, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes must be array", value=data__changes, name="" + (name_prefix or "data") + ".changes", definition={'description': 'One row per changed field, file by file, then by number; the rows of one number are together and agree on everything but the field.', 'type': 'array', 'items': {'description': 'One field of one number: `before` as Close has it (normalised), `after` as the config wants it. `file` and `date_updated` since 0.2, `risk` since 0.2, `owner` and `shares` since 0.3.', 'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'key', 'label', 'field', 'before', 'after'], 'properties': {'id': {'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, 'number': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, 'key': {'description': "The number's key as written in its config file.", 'type': 'string', 'minLength': 1}, 'file': {'description': 'The config file the number is written in.', 'type': 'string', 'minLength': 1}, 'label': {'description': "The number's label after the change (its label in Close when the label does not change).", 'type': ['string', 'null']}, 'date_updated': {'description': 'When Close last changed the number, as Close writes it.', 'type': ['string', 'null']}, 'field': {'enum': ['label', 'forward_to', 'forward_to_enabled', 'inbound_ring_duration', 'participants', 'participant_groups', 'phone_numbers', 'press_1_to_accept', 'voicemail_greeting_url'], 'x-error': 'must be one of the fields numbersync manages'}, 'before': True, 'after': True, 'risk': {'enum': [None, 'removes participants', 'removes groups', 'removes phone numbers', 'switches forwarding on', 'switches forwarding off'], 'x-error': 'must be null or one of the risks numbersync names'}, 'owner': {'description': "The user whose personal number this is, when it is not the caller's: Close lets only them change it, so it will refuse the change.", 'anyOf': [{'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, {'type': 'null'}], 'x-error': 'must be null or a user id (user_ and letters or digits)'}, 'shares': {'description': 'Whether the change turns a personal number into a shared one (it then rings more than its one user).', 'type': 'boolean'}}}}, rule='type')
            data__changes_is_list = isinstance(data__changes, (list, tuple))
            if data__changes_is_list:
                data__changes_len = len(data__changes)
                for data__changes_x, data__changes_item in enumerate(data__changes):
                    if not isinstance(data__changes_item, (dict)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}]".format(**locals()) + " must be object", value=data__changes_item, name="" + (name_prefix or "data") + ".changes[{data__changes_x}]".format(**locals()) + "", definition={'description': 'One field of one number: `before` as Close has it (normalised), `after` as the config wants it. `file` and `date_updated` since 0.2, `risk` since 0.2, `owner` and `shares` since 0.3.', 'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'key', 'label', 'field', 'before', 'after'], 'properties': {'id': {'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, 'number': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, 'key': {'description': "The number's key as written in its config file.", 'type': 'string', 'minLength': 1}, 'file': {'description': 'The config file the number is written in.', 'type': 'string', 'minLength': 1}, 'label': {'description': "The number's label after the change (its label in Close when the label does not change).", 'type': ['string', 'null']}, 'date_updated': {'description': 'When Close last changed the number, as Close writes it.', 'type': ['string', 'null']}, 'field': {'enum': ['label', 'forward_to', 'forward_to_enabled', 'inbound_ring_duration', 'participants', 'participant_groups', 'phone_numbers', 'press_1_to_accept', 'voicemail_greeting_url'], 'x-error': 'must be one of the fields numbersync manages'}, 'before': True, 'after': True, 'risk': {'enum': [None, 'removes participants', 'removes groups', 'removes phone numbers', 'switches forwarding on', 'switches forwarding off'], 'x-error': 'must be null or one of the risks numbersync names'}, 'owner': {'description': "The user whose personal number this is, when it is not the caller's: Close lets only them change it, so it will refuse the change.", 'anyOf': [{'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, {'type': 'null'}], 'x-error': 'must be null or a user id (user_ and letters or digits)'}, 'shares': {'description': 'Whether the change turns a personal number into a shared one (it then rings more than its one user).', 'type': 'boolean'}}}, rule='type')
                    data__changes_item_is_dict = isinstance(data__changes_item, dict)
                    if data__changes_item_is_dict:
                        data__changes_item__missing_keys = set(['id', 'number', 'key', 'label', 'field', 'before', 'after']) - data__changes_item.keys()
                        if data__changes_item__missing_keys:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}]".format(**locals()) + " must contain " + (str(sorted(data__changes_item__missing_keys)) + " properties"), value=data__changes_item, name="" + (name_prefix or "data") + ".changes[{data__changes_x}]".format(**locals()) + "", definition={'description': 'One field of one number: `before` as Close has it (normalised), `after` as the config wants it. `file` and `date_updated` since 0.2, `risk` since 0.2, `owner` and `shares` since 0.3.', 'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'key', 'label', 'field', 'before', 'after'], 'properties': {'id': {'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, 'number': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, 'key': {'description': "The number's key as written in its config file.", 'type': 'string', 'minLength': 1}, 'file': {'description': 'The config file the number is written in.', 'type': 'string', 'minLength': 1}, 'label': {'description': "The number's label after the change (its label in Close when the label does not change).", 'type': ['string', 'null']}, 'date_updated': {'description': 'When Close last changed the number, as Close writes it.', 'type': ['string', 'null']}, 'field': {'enum': ['label', 'forward_to', 'forward_to_enabled', 'inbound_ring_duration', 'participants', 'participant_groups', 'phone_numbers', 'press_1_to_accept', 'voicemail_greeting_url'], 'x-error': 'must be one of the fields numbersync manages'}, 'before': True, 'after': True, 'risk': {'enum': [None, 'removes participants', 'removes groups', 'removes phone numbers', 'switches forwarding on', 'switches forwarding off'], 'x-error': 'must be null or one of the risks numbersync names'}, 'owner': {'description': "The user whose personal number this is, when it is not the caller's: Close lets only them change it, so it will refuse the change.", 'anyOf': [{'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, {'type': 'null'}], 'x-error': 'must be null or a user id (user_ and letters or digits)'}, 'shares': {'description': 'Whether the change turns a personal number into a shared one (it then rings more than its one user).', 'type': 'boolean'}}}, rule='required')
                        data__changes_item_keys = set(data__changes_item.keys())
                        if "id" in data__changes_item_keys:
                            data__changes_item_keys.remove("id")
                            data__changes_item__id = data__changes_item["id"]
                            if not isinstance(data__changes_item__id, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}].id".format(**locals()) + " must be string", value=data__changes_item__id, name="" + (name_prefix or "data") + ".changes[{data__changes_x}].id".format(**locals()) + "", definition={'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, rule='type')
                            if isinstance(data__changes_item__id, str):
                                if not REGEX_PATTERNS['^phon_[A-Za-z0-9]+$'].search(data__changes_item__id):
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}].id".format(**locals()) + " must match pattern ^phon_[A-Za-z0-9]+$", value=data__changes_item__id, name="" + (name_prefix or "data") + ".changes[{data__changes_x}].id".format(**locals()) + "", definition={'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, rule='pattern')
                        if "number" in data__changes_item_keys:
                            data__changes_item_keys.remove("number")
                            data__changes_item__number = data__changes_item["number"]
                            if not isinstance(data__changes_item__number, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}].number".format(**locals()) + " must be string", value=data__changes_item__number, name="" + (name_prefix or "data") + ".changes[{data__changes_x}].number".format(**locals()) + "", definition={'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, rule='type')
                            if isinstance(data__changes_item__number, str):
                                if not REGEX_PATTERNS['^\\+[1-9][0-9]{1,14}$'].search(data__changes_item__number):
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}].number".format(**locals()) + " must match pattern ^\\+[1-9][0-9]{1,14}$", value=data__changes_item__number, name="" + (name_prefix or "data") + ".changes[{data__changes_x}].number".format(**locals()) + "", definition={'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, rule='pattern')
                        if "key" in data__changes_item_keys:
                            data__changes_item_keys.remove("key")
                            data__changes_item__key = data__changes_item["key"]
                            if not isinstance(data__changes_item__key, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}].key".format(**locals()) + " must be string", value=data__changes_item__key, name="" + (name_prefix or "data") + ".changes[{data__changes_x}].key".format(**locals()) + "", definition={'description': "The number's key as written in its config file.", 'type': 'string', 'minLength': 1}, rule='type')
                            if isinstance(data__changes_item__key, str):
                                data__changes_item__key_len = len(data__changes_item__key)
                                if data__changes_item__key_len < 1:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}].key".format(**locals()) + " must be longer than or equal to 1 characters", value=data__changes_item__key, name="" + (name_prefix or "data") + ".changes[{data__changes_x}].key".format(**locals()) + "", definition={'description': "The number's key as written in its config file.", 'type': 'string', 'minLength': 1}, rule='minLength')
                        if "file" in data__changes_item_keys:
                            data__changes_item_keys.remove("file")
                            data__changes_item__file = data__changes_item["file"]
                            if not isinstance(data__changes_item__file, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}].file".format(**locals()) + " must be string", value=data__changes_item__file, name="" + (name_prefix or "data") + ".changes[{data__changes_x}].file".format(**locals()) + "", definition={'description': 'The config file the number is written in.', 'type': 'string', 'minLength': 1}, rule='type')
                            if isinstance(data__changes_item__file, str):
                                data__changes_item__file_len = len(data__changes_item__file)
                                if data__changes_item__file_len < 1:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}].file".format(**locals()) + " must be longer than or equal to 1 characters", value=data__changes_item__file, name="" + (name_prefix or "data") + ".changes[{data__changes_x}].file".format(**locals()) + "", definition={'description': 'The config file the number is written in.', 'type': 'string', 'minLength': 1}, rule='minLength')
                        if "label" in data__changes_item_keys:
                            data__changes_item_keys.remove("label")
                            data__changes_item__label = data__changes_item["label"]
                            if not isinstance(data__changes_item__label, (str, NoneType)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}].label".format(**locals()) + " must be string or null", value=data__changes_item__label, name="" + (name_prefix or "data") + ".changes[{data__changes_x}].label".format(**locals()) + "", definition={'description': "The number's label after the change (its label in Close when the label does not change).", 'type': ['string', 'null']}, rule='type')
                        if "date_updated" in data__changes_item_keys:
                            data__changes_item_keys.remove("date_updated")
                            data__changes_item__dateupdated = data__changes_item["date_updated"]
                            if not isinstance(data__changes_item__dateupdated, (str, NoneType)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}].date_updated".format(**locals()) + " must be string or null", value=data__changes_item__dateupdated, name="" + (name_prefix or "data") + ".changes[{data__changes_x}].date_updated".format(**locals()) + "", definition={'description': 'When Close last changed the number, as Close writes it.', 'type': ['string', 'null']}, rule='type')
                        if "field" in data__changes_item_keys:
                            data__changes_item_keys.remove("field")
                            data__changes_item__field = data__changes_item["field"]
                            if not (isinstance(data__changes_item__field, str) and data__changes_item__field == 'label' or isinstance(data__changes_item__field, str) and data__changes_item__field == 'forward_to' or isinstance(data__changes_item__field, str) and data__changes_item__field == 'forward_to_enabled' or isinstance(data__changes_item__field, str) and data__changes_item__field == 'inbound_ring_duration' or isinstance(data__changes_item__field, str) and data__changes_item__field == 'participants' or isinstance(data__changes_item__field, str) and data__changes_item__field == 'participant_groups' or isinstance(data__changes_item__field, str) and data__changes_item__field == 'phone_numbers' or isinstance(data__changes_item__field, str) and data__changes_item__field == 'press_1_to_accept' or isinstance(data__changes_item__field, str) and data__changes_item__field == 'voicemail_greeting_url'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}].field".format(**locals()) + " must be one of ['label', 'forward_to', 'forward_to_enabled', 'inbound_ring_duration', 'participants', 'participant_groups', 'phone_numbers', 'press_1_to_accept', 'voicemail_greeting_url']", value=data__changes_item__field, name="" + (name_prefix or "data") + ".changes[{data__changes_x}].field".format(**locals()) + "", definition={'enum': ['label', 'forward_to', 'forward_to_enabled', 'inbound_ring_duration', 'participants', 'participant_groups', 'phone_numbers', 'press_1_to_accept', 'voicemail_greeting_url'], 'x-error': 'must be one of the fields numbersync manages'}, rule='enum')
                        if "before" in data__changes_item_keys:
                            data__changes_item_keys.remove("before")
                            data__changes_item__before = data__changes_item["before"]
                            pass
                        if "after" in data__changes_item_keys:
                            data__changes_item_keys.remove("after")
                            data__changes_item__after = data__changes_item["after"]
                            pass
                        if "risk" in data__changes_item_keys:
                            data__changes_item_keys.remove("risk")
                            data__changes_item__risk = data__changes_item["risk"]
                            if not (data__changes_item__risk is None or isinstance(data__changes_item__risk, str) and data__changes_item__risk == 'removes participants' or isinstance(data__changes_item__risk, str) and data__changes_item__risk == 'removes groups' or isinstance(data__changes_item__risk, str) and data__changes_item__risk == 'removes phone numbers' or isinstance(data__changes_item__risk, str) and data__changes_item__risk == 'switches forwarding on' or isinstance(data__changes_item__risk, str) and data__changes_item__risk == 'switches forwarding off'):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}].risk".format(**locals()) + " must be one of [None, 'removes participants', 'removes groups', 'removes phone numbers', 'switches forwarding on', 'switches forwarding off']", value=data__changes_item__risk, name="" + (name_prefix or "data") + ".changes[{data__changes_x}].risk".format(**locals()) + "", definition={'enum': [None, 'removes participants', 'removes groups', 'removes phone numbers', 'switches forwarding on', 'switches forwarding off'], 'x-error': 'must be null or one of the risks numbersync names'}, rule='enum')
                        if "owner" in data__changes_item_keys:
                            data__changes_item_keys.remove("owner")
                            data__changes_item__owner = data__changes_item["owner"]
                            data__changes_item__owner_any_of_count1 = 0
                            if not data__changes_item__owner_any_of_count1:
                                try:
                                    if not isinstance(data__changes_item__owner, (str)):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}].owner".format(**locals()) + " must be string", value=data__changes_item__owner, name="" + (name_prefix or "data") + ".changes[{data__changes_x}].owner".format(**locals()) + "", definition={'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, rule='type')
                                    if isinstance(data__changes_item__owner, str):
                                        if not REGEX_PATTERNS['^user_[A-Za-z0-9]+$'].search(data__changes_item__owner):
                                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}].owner".format(**locals()) + " must match pattern ^user_[A-Za-z0-9]+$", value=data__changes_item__owner, name="" + (name_prefix or "data") + ".changes[{data__changes_x}].owner".format(**locals()) + "", definition={'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, rule='pattern')
                                    data__changes_item__owner_any_of_count1 += 1
                                except (JsonSchemaValueException, JsonSchemaValuesException): pass
                            if not data__changes_item__owner_any_of_count1:
                                try:
                                    if not isinstance(data__changes_item__owner, (NoneType)):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}].owner".format(**locals()) + " must be null", value=data__changes_item__owner, name="" + (name_prefix or "data") + ".changes[{data__changes_x}].owner".format(**locals()) + "", definition={'type': 'null'}, rule='type')
                                    data__changes_item__owner_any_of_count1 += 1
                                except (JsonSchemaValueException, JsonSchemaValuesException): pass
                            if not data__changes_item__owner_any_of_count1:
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}].owner".format(**locals()) + " cannot be validated by any definition", value=data__changes_item__owner, name="" + (name_prefix or "data") + ".changes[{data__changes_x}].owner".format(**locals()) + "", definition={'description': "The user whose personal number this is, when it is not the caller's: Close lets only them change it, so it will refuse the change.", 'anyOf': [{'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, {'type': 'null'}], 'x-error': 'must be null or a user id (user_ and letters or digits)'}, rule='anyOf')
                        if "shares" in data__changes_item_keys:
                            data__changes_item_keys.remove("shares")
                            data__changes_item__shares = data__changes_item["shares"]
                            if not isinstance(data__changes_item__shares, (bool)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}].shares".format(**locals()) + " must be boolean", value=data__changes_item__shares, name="" + (name_prefix or "data") + ".changes[{data__changes_x}].shares".format(**locals()) + "", definition={'description': 'Whether the change turns a personal number into a shared one (it then rings more than its one user).', 'type': 'boolean'}, rule='type')
                        if data__changes_item_keys:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".changes[{data__changes_x}]".format(**locals()) + " must not contain "+str(data__changes_item_keys)+" properties", value=data__changes_item, name="" + (name_prefix or "data") + ".changes[{data__changes_x}]".format(**locals()) + "", definition={'description': 'One field of one number: `before` as Close has it (normalised), `after` as the config wants it. `file` and `date_updated` since 0.2, `risk` since 0.2, `owner` and `shares` since 0.3.', 'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'key', 'label', 'field', 'before', 'after'], 'properties': {'id': {'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, 'number': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, 'key': {'description': "The number's key as written in its config file.", 'type': 'string', 'minLength': 1}, 'file': {'description': 'The config file the number is written in.', 'type': 'string', 'minLength': 1}, 'label': {'description': "The number's label after the change (its label in Close when the label does not change).", 'type': ['string', 'null']}, 'date_updated': {'description': 'When Close last changed the number, as Close writes it.', 'type': ['string', 'null']}, 'field': {'enum': ['label', 'forward_to', 'forward_to_enabled', 'inbound_ring_duration', 'participants', 'participant_groups', 'phone_numbers', 'press_1_to_accept', 'voicemail_greeting_url'], 'x-error': 'must be one of the fields numbersync manages'}, 'before': True, 'after': True, 'risk': {'enum': [None, 'removes participants', 'removes groups', 'removes phone numbers', 'switches forwarding on', 'switches forwarding off'], 'x-error': 'must be null or one of the risks numbersync names'}, 'owner': {'description': "The user whose personal number this is, when it is not the caller's: Close lets only them change it, so it will refuse the change.", 'anyOf': [{'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, {'type': 'null'}], 'x-error': 'must be null or a user id (user_ and letters or digits)'}, 'shares': {'description': 'Whether the change turns a personal number into a shared one (it then rings more than its one user).', 'type': 'boolean'}}}, rule='additionalProperties')
        if "unchanged" in data_keys:
            data_keys.remove("unchanged")
            data__unchanged = data["unchanged"]
            if not isinstance(data__unchanged, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".unchanged must be array", value=data__unchanged, name="" + (name_prefix or "data") + ".unchanged", definition={'description': 'The managed numbers with nothing to change, as Close writes them.', 'type': 'array', 'items': {'type': 'string'}}, rule='type')
            data__unchanged_is_list = isinstance(data__unchanged, (list, tuple))
            if data__unchanged_is_list:
                data__unchanged_len = len(data__unchanged)
                for data__unchanged_x, data__unchanged_item in enumerate(data__unchanged):
                    if not isinstance(data__unchanged_item, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".unchanged[{data__unchanged_x}]".format(**locals()) + " must be string", value=data__unchanged_item, name="" + (name_prefix or "data") + ".unchanged[{data__unchanged_x}]".format(**locals()) + "", definition={'type': 'string'}, rule='type')
        if "unmanaged" in data_keys:
            data_keys.remove("unmanaged")
            data__unmanaged = data["unmanaged"]
            if not isinstance(data__unmanaged, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".unmanaged must be array", value=data__unmanaged, name="" + (name_prefix or "data") + ".unmanaged", definition={'description': 'The numbers of the account that the config does not name.', 'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'label'], 'properties': {'id': {'type': 'string'}, 'number': {'type': 'string'}, 'label': {'type': ['string', 'null']}}}}, rule='type')
            data__unmanaged_is_list = isinstance(data__unmanaged, (list, tuple))
            if data__unmanaged_is_list:
                data__unmanaged_len = len(data__unmanaged)
                for data__unmanaged_x, data__unmanaged_item in enumerate(data__unmanaged):
                    if not isinstance(data__unmanaged_item, (dict)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".unmanaged[{data__unmanaged_x}]".format(**locals()) + " must be object", value=data__unmanaged_item, name="" + (name_prefix or "data") + ".unmanaged[{data__unmanaged_x}]".format(**locals()) + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'label'], 'properties': {'id': {'type': 'string'}, 'number': {'type': 'string'}, 'label': {'type': ['string', 'null']}}}, rule='type')
                    data__unmanaged_item_is_dict = isinstance(data__unmanaged_item, dict)
                    if data__unmanaged_item_is_dict:
                        data__unmanaged_item__missing_keys = set(['id', 'number', 'label']) - data__unmanaged_item.keys()
                        if data__unmanaged_item__missing_keys:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".unmanaged[{data__unmanaged_x}]".format(**locals()) + " must contain " + (str(sorted(data__unmanaged_item__missing_keys)) + " properties"), value=data__unmanaged_item, name="" + (name_prefix or "data") + ".unmanaged[{data__unmanaged_x}]".format(**locals()) + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'label'], 'properties': {'id': {'type': 'string'}, 'number': {'type': 'string'}, 'label': {'type': ['string', 'null']}}}, rule='required')
                        data__unmanaged_item_keys = set(data__unmanaged_item.keys())
                        if "id" in data__unmanaged_item_keys:
                            data__unmanaged_item_keys.remove("id")
                            data__unmanaged_item__id = data__unmanaged_item["id"]
                            if not isinstance(data__unmanaged_item__id, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".unmanaged[{data__unmanaged_x}].id".format(**locals()) + " must be string", value=data__unmanaged_item__id, name="" + (name_prefix or "data") + ".unmanaged[{data__unmanaged_x}].id".format(**locals()) + "", definition={'type': 'string'}, rule='type')
                        if "number" in data__unmanaged_item_keys:
                            data__unmanaged_item_keys.remove("number")
                            data__unmanaged_item__number = data__unmanaged_item["number"]
                            if not isinstance(data__unmanaged_item__number, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".unmanaged[{data__unmanaged_x}].number".format(**locals()) + " must be string", value=data__unmanaged_item__number, name="" + (name_prefix or "data") + ".unmanaged[{data__unmanaged_x}].number".format(**locals()) + "", definition={'type': 'string'}, rule='type')
                        if "label" in data__unmanaged_item_keys:
                            data__unmanaged_item_keys.remove("label")
                            data__unmanaged_item__label = data__unmanaged_item["label"]
                            if not isinstance(data__unmanaged_item__label, (str, NoneType)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".unmanaged[{data__unmanaged_x}].label".format(**locals()) + " must be string or null", value=data__unmanaged_item__label, name="" + (name_prefix or "data") + ".unmanaged[{data__unmanaged_x}].label".format(**locals()) + "", definition={'type': ['string', 'null']}, rule='type')
                        if data__unmanaged_item_keys:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".unmanaged[{data__unmanaged_x}]".format(**locals()) + " must not contain "+str(data__unmanaged_item_keys)+" properties", value=data__unmanaged_item, name="" + (name_prefix or "data") + ".unmanaged[{data__unmanaged_x}]".format(**locals()) + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'label'], 'properties': {'id': {'type': 'string'}, 'number': {'type': 'string'}, 'label': {'type': ['string', 'null']}}}, rule='additionalProperties')
        if "warnings" in data_keys:
            data_keys.remove("warnings")
            data__warnings = data["warnings"]
            if not isinstance(data__warnings, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".warnings must be array", value=data__warnings, name="" + (name_prefix or "data") + ".warnings", definition={'description': 'Advisory notes, one line each.', 'type': 'array', 'items': {'type': 'string'}}, rule='type')
            data__warnings_is_list = isinstance(data__warnings, (list, tuple))
            if data__warnings_is_list:
                data__warnings_len = len(data__warnings)
                for data__warnings_x, data__warnings_item in enumerate(data__warnings):
                    if not isinstance(data__warnings_item, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".warnings[{data__warnings_x}]".format(**locals()) + " must be string", value=data__warnings_item, name="" + (name_prefix or "data") + ".warnings[{data__warnings_x}]".format(**locals()) + "", definition={'type': 'string'}, rule='type')
        if "users" in data_keys:
            data_keys.remove("users")
            data__users = data["users"]
            if not isinstance(data__users, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".users must be object", value=data__users, name="" + (name_prefix or "data") + ".users", definition={'description': 'User id to email, to show the ids of the plan; never used to resolve one.', 'type': 'object', 'additionalProperties': {'type': 'string'}}, rule='type')
            data__users_is_dict = isinstance(data__users, dict)
            if data__users_is_dict:
                data__users_keys = set(data__users.keys())
                for data__users_key in data__users_keys:
                    if data__users_key not in []:
                        data__users_value = data__users.get(data__users_key)
                        if not isinstance(data__users_value, (str)):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".users.{data__users_key}".format(**locals()) + " must be string", value=data__users_value, name="" + (name_prefix or "data") + ".users.{data__users_key}".format(**locals()) + "", definition={'type': 'string'}, rule='type')
        if "groups" in data_keys:
            data_keys.remove("groups")
            data__groups = data["groups"]
            if not isinstance(data__groups, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".groups must be object", value=data__groups, name="" + (name_prefix or "data") + ".groups", definition={'description': 'Group id to name, to show the ids of the plan; never used to resolve one.', 'type': 'object', 'additionalProperties': {'type': 'string'}}, rule='type')
            data__groups_is_dict = isinstance(data__groups, dict)
            if data__groups_is_dict:
                data__groups_keys = set(data__groups.keys())
                for data__groups_key in data__groups_keys:
                    if data__groups_key not in []:
                        data__groups_value = data__groups.get(data__groups_key)
                        if not isinstance(data__groups_value, (str)):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".groups.{data__groups_key}".format(**locals()) + " must be string", value=data__groups_value, name="" + (name_prefix or "data") + ".groups.{data__groups_key}".format(**locals()) + "", definition={'type': 'string'}, rule='type')
        if "base" in data_keys:
            data_keys.remove("base")
            data__base = data["base"]
            if not isinstance(data__base, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".base must be object", value=data__base, name="" + (name_prefix or "data") + ".base", definition={'description': 'Since 0.4, only with `plan --base`: the earlier config compared with, and what the config no longer manages compared with it. Never changes: Close keeps them as they are, and `apply` sends nothing for them.', 'type': 'object', 'additionalProperties': False, 'required': ['name', 'no_longer_managed'], 'properties': {'name': {'description': 'The base as given to --base: a path, or a Git ref.', 'type': 'string', 'minLength': 1}, 'no_longer_managed': {'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['kind', 'id', 'name', 'field', 'keeps', 'label', 'file'], 'properties': {'kind': {'description': 'number (the whole number), field (one field of a number still managed) or group (its membership)', 'enum': ['number', 'field', 'group']}, 'id': {'description': "The number's or the group's Close id (a group's key when the groups were not read).", 'type': 'string'}, 'name': {'description': "The number (E.164), or the group's name.", 'type': 'string'}, 'field': {'description': 'The field let go: a managed field, `members` for a group, empty for a whole number.', 'type': 'string'}, 'keeps': {'description': 'What Close keeps, normalised (user and group ids in lists); null for a whole number, or a group whose members were not read.', 'type': ['string', 'boolean', 'integer', 'null', 'array'], 'items': {'type': 'string'}}, 'label': {'description': "The number's label in Close.", 'type': ['string', 'null']}, 'file': {'description': "The base's file that managed it.", 'type': 'string'}}}}}}, rule='type')
            data__base_is_dict = isinstance(data__base, dict)
            if data__base_is_dict:
                data__base__missing_keys = set(['name', 'no_longer_managed']) - data__base.keys()
                if data__base__missing_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".base must contain " + (str(sorted(data__base__missing_keys)) + " properties"), value=data__base, name="" + (name_prefix or "data") + ".base", definition={'description': 'Since 0.4, only with `plan --base`: the earlier config compared with, and what the config no longer manages compared with it. Never changes: Close keeps them as they are, and `apply` sends nothing for them.', 'type': 'object', 'additionalProperties': False, 'required': ['name', 'no_longer_managed'], 'properties': {'name': {'description': 'The base as given to --base: a path, or a Git ref.', 'type': 'string', 'minLength': 1}, 'no_longer_managed': {'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['kind', 'id', 'name', 'field', 'keeps', 'label', 'file'], 'properties': {'kind': {'description': 'number (the whole number), field (one field of a number still managed) or group (its membership)', 'enum': ['number', 'field', 'group']}, 'id': {'description': "The number's or the group's Close id (a group's key when the groups were not read).", 'type': 'string'}, 'name': {'description': "The number (E.164), or the group's name.", 'type': 'string'}, 'field': {'description': 'The field let go: a managed field, `members` for a group, empty for a whole number.', 'type': 'string'}, 'keeps': {'description': 'What Close keeps, normalised (user and group ids in lists); null for a whole number, or a group whose members were not read.', 'type': ['string', 'boolean', 'integer', 'null', 'array'], 'items': {'type': 'string'}}, 'label': {'description': "The number's label in Close.", 'type': ['string', 'null']}, 'file': {'description': "The base's file that managed it.", 'type': 'string'}}}}}}, rule='required')
                data__base_keys = set(data__base.keys())
                if "name" in data__base_keys:
                    data__base_keys.remove("name")
                    data__base__name = data__base["name"]
                    if not isinstance(data__base__name, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".base.name must be string", value=data__base__name, name="" + (name_prefix or "data") + ".base.name", definition={'description': 'The base as given to --base: a path, or a Git ref.', 'type': 'string', 'minLength': 1}, rule='type')
                    if isinstance(data__base__name, str):
                        data__base__name_len = len(data__base__name)
                        if data__base__name_len < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".base.name must be longer than or equal to 1 characters", value=data__base__name, name="" + (name_prefix or "data") + ".base.name", definition={'description': 'The base as given to --base: a path, or a Git ref.', 'type': 'string', 'minLength': 1}, rule='minLength')
                if "no_longer_managed" in data__base_keys:
                    data__base_keys.remove("no_longer_managed")
                    data__base__nolongermanaged = data__base["no_longer_managed"]
                    if not isinstance(data__base__nolongermanaged, (list, tuple)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".base.no_longer_managed must be array", value=data__base__nolongermanaged, name="" + (name_prefix or "data") + ".base.no_longer_managed", definition={'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['kind', 'id', 'name', 'field', 'keeps', 'label', 'file'], 'properties': {'kind': {'description': 'number (the whole number), field (one field of a number still managed) or group (its membership)', 'enum': ['number', 'field', 'group']}, 'id': {'description': "The number's or the group's Close id (a group's key when the groups were not read).", 'type': 'string'}, 'name': {'description': "The number (E.164), or the group's name.", 'type': 'string'}, 'field': {'description': 'The field let go: a managed field, `members` for a group, empty for a whole number.', 'type': 'string'}, 'keeps': {'description': 'What Close keeps, normalised (user and group ids in lists); null for a whole number, or a group whose members were not read.', 'type': ['string', 'boolean', 'integer', 'null', 'array'], 'items': {'type': 'string'}}, 'label': {'description': "The number's label in Close.", 'type': ['string', 'null']}, 'file': {'description': "The base's file that managed it.", 'type': 'string'}}}}, rule='type')
                    data__base__nolongermanaged_is_list = isinstance(data__base__nolongermanaged, (list, tuple))
                    if data__base__nolongermanaged_is_list:
                        data__base__nolongermanaged_len = len(data__base__nolongermanaged)
                        for data__base__nolongermanaged_x, data__base__nolongermanaged_item in enumerate(data__base__nolongermanaged):
                            if not isinstance(data__base__nolongermanaged_item, (dict)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}]".format(**locals()) + " must be object", value=data__base__nolongermanaged_item, name="" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}]".format(**locals()) + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['kind', 'id', 'name', 'field', 'keeps', 'label', 'file'], 'properties': {'kind': {'description': 'number (the whole number), field (one field of a number still managed) or group (its membership)', 'enum': ['number', 'field', 'group']}, 'id': {'description': "The number's or the group's Close id (a group's key when the groups were not read).", 'type': 'string'}, 'name': {'description': "The number (E.164), or the group's name.", 'type': 'string'}, 'field': {'description': 'The field let go: a managed field, `members` for a group, empty for a whole number.', 'type': 'string'}, 'keeps': {'description': 'What Close keeps, normalised (user and group ids in lists); null for a whole number, or a group whose members were not read.', 'type': ['string', 'boolean', 'integer', 'null', 'array'], 'items': {'type': 'string'}}, 'label': {'description': "The number's label in Close.", 'type': ['string', 'null']}, 'file': {'description': "The base's file that managed it.", 'type': 'string'}}}, rule='type')
                            data__base__nolongermanaged_item_is_dict = isinstance(data__base__nolongermanaged_item, dict)
                            if data__base__nolongermanaged_item_is_dict:
                                data__base__nolongermanaged_item__missing_keys = set(['kind', 'id', 'name', 'field', 'keeps', 'label', 'file']) - data__base__nolongermanaged_item.keys()
                                if data__base__nolongermanaged_item__missing_keys:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}]".format(**locals()) + " must contain " + (str(sorted(data__base__nolongermanaged_item__missing_keys)) + " properties"), value=data__base__nolongermanaged_item, name="" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}]".format(**locals()) + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['kind', 'id', 'name', 'field', 'keeps', 'label', 'file'], 'properties': {'kind': {'description': 'number (the whole number), field (one field of a number still managed) or group (its membership)', 'enum': ['number', 'field', 'group']}, 'id': {'description': "The number's or the group's Close id (a group's key when the groups were not read).", 'type': 'string'}, 'name': {'description': "The number (E.164), or the group's name.", 'type': 'string'}, 'field': {'description': 'The field let go: a managed field, `members` for a group, empty for a whole number.', 'type': 'string'}, 'keeps': {'description': 'What Close keeps, normalised (user and group ids in lists); null for a whole number, or a group whose members were not read.', 'type': ['string', 'boolean', 'integer', 'null', 'array'], 'items': {'type': 'string'}}, 'label': {'description': "The number's label in Close.", 'type': ['string', 'null']}, 'file': {'description': "The base's file that managed it.", 'type': 'string'}}}, rule='required')
                                data__base__nolongermanaged_item_keys = set(data__base__nolongermanaged_item.keys())
                                if "kind" in data__base__nolongermanaged_item_keys:
                                    data__base__nolongermanaged_item_keys.remove("kind")
                                    data__base__nolongermanaged_item__kind = data__base__nolongermanaged_item["kind"]
                                    if not (isinstance(data__base__nolongermanaged_item__kind, str) and data__base__nolongermanaged_item__kind == 'number' or isinstance(data__base__nolongermanaged_item__kind, str) and data__base__nolongermanaged_item__kind == 'field' or isinstance(data__base__nolongermanaged_item__kind, str) and data__base__nolongermanaged_item__kind == 'group'):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}].kind".format(**locals()) + " must be one of ['number', 'field', 'group']", value=data__base__nolongermanaged_item__kind, name="" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}].kind".format(**locals()) + "", definition={'description': 'number (the whole number), field (one field of a number still managed) or group (its membership)', 'enum': ['number', 'field', 'group']}, rule='enum')
                                if "id" in data__base__nolongermanaged_item_keys:
                                    data__base__nolongermanaged_item_keys.remove("id")
                                    data__base__nolongermanaged_item__id = data__base__nolongermanaged_item["id"]
                                    if not isinstance(data__base__nolongermanaged_item__id, (str)):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}].id".format(**locals()) + " must be string", value=data__base__nolongermanaged_item__id, name="" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}].id".format(**locals()) + "", definition={'description': "The number's or the group's Close id (a group's key when the groups were not read).", 'type': 'string'}, rule='type')
                                if "name" in data__base__nolongermanaged_item_keys:
                                    data__base__nolongermanaged_item_keys.remove("name")
                                    data__base__nolongermanaged_item__name = data__base__nolongermanaged_item["name"]
                                    if not isinstance(data__base__nolongermanaged_item__name, (str)):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}].name".format(**locals()) + " must be string", value=data__base__nolongermanaged_item__name, name="" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}].name".format(**locals()) + "", definition={'description': "The number (E.164), or the group's name.", 'type': 'string'}, rule='type')
                                if "field" in data__base__nolongermanaged_item_keys:
                                    data__base__nolongermanaged_item_keys.remove("field")
                                    data__base__nolongermanaged_item__field = data__base__nolongermanaged_item["field"]
                                    if not isinstance(data__base__nolongermanaged_item__field, (str)):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}].field".format(**locals()) + " must be string", value=data__base__nolongermanaged_item__field, name="" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}].field".format(**locals()) + "", definition={'description': 'The field let go: a managed field, `members` for a group, empty for a whole number.', 'type': 'string'}, rule='type')
                                if "keeps" in data__base__nolongermanaged_item_keys:
                                    data__base__nolongermanaged_item_keys.remove("keeps")
                                    data__base__nolongermanaged_item__keeps = data__base__nolongermanaged_item["keeps"]
                                    if not isinstance(data__base__nolongermanaged_item__keeps, (str, bool, int, NoneType, list, tuple)) and not (isinstance(data__base__nolongermanaged_item__keeps, float) and data__base__nolongermanaged_item__keeps.is_integer()):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}].keeps".format(**locals()) + " must be string or boolean or integer or null or array", value=data__base__nolongermanaged_item__keeps, name="" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}].keeps".format(**locals()) + "", definition={'description': 'What Close keeps, normalised (user and group ids in lists); null for a whole number, or a group whose members were not read.', 'type': ['string', 'boolean', 'integer', 'null', 'array'], 'items': {'type': 'string'}}, rule='type')
                                    data__base__nolongermanaged_item__keeps_is_list = isinstance(data__base__nolongermanaged_item__keeps, (list, tuple))
                                    if data__base__nolongermanaged_item__keeps_is_list:
                                        data__base__nolongermanaged_item__keeps_len = len(data__base__nolongermanaged_item__keeps)
                                        for data__base__nolongermanaged_item__keeps_x, data__base__nolongermanaged_item__keeps_item in enumerate(data__base__nolongermanaged_item__keeps):
                                            if not isinstance(data__base__nolongermanaged_item__keeps_item, (str)):
                                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}].keeps[{data__base__nolongermanaged_item__keeps_x}]".format(**locals()) + " must be string", value=data__base__nolongermanaged_item__keeps_item, name="" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}].keeps[{data__base__nolongermanaged_item__keeps_x}]".format(**locals()) + "", definition={'type': 'string'}, rule='type')
                                if "label" in data__base__nolongermanaged_item_keys:
                                    data__base__nolongermanaged_item_keys.remove("label")
                                    data__base__nolongermanaged_item__label = data__base__nolongermanaged_item["label"]
                                    if not isinstance(data__base__nolongermanaged_item__label, (str, NoneType)):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}].label".format(**locals()) + " must be string or null", value=data__base__nolongermanaged_item__label, name="" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}].label".format(**locals()) + "", definition={'description': "The number's label in Close.", 'type': ['string', 'null']}, rule='type')
                                if "file" in data__base__nolongermanaged_item_keys:
                                    data__base__nolongermanaged_item_keys.remove("file")
                                    data__base__nolongermanaged_item__file = data__base__nolongermanaged_item["file"]
                                    if not isinstance(data__base__nolongermanaged_item__file, (str)):
                                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}].file".format(**locals()) + " must be string", value=data__base__nolongermanaged_item__file, name="" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}].file".format(**locals()) + "", definition={'description': "The base's file that managed it.", 'type': 'string'}, rule='type')
                                if data__base__nolongermanaged_item_keys:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}]".format(**locals()) + " must not contain "+str(data__base__nolongermanaged_item_keys)+" properties", value=data__base__nolongermanaged_item, name="" + (name_prefix or "data") + ".base.no_longer_managed[{data__base__nolongermanaged_x}]".format(**locals()) + "", definition={'type': 'object', 'additionalProperties': False, 'required': ['kind', 'id', 'name', 'field', 'keeps', 'label', 'file'], 'properties': {'kind': {'description': 'number (the whole number), field (one field of a number still managed) or group (its membership)', 'enum': ['number', 'field', 'group']}, 'id': {'description': "The number's or the group's Close id (a group's key when the groups were not read).", 'type': 'string'}, 'name': {'description': "The number (E.164), or the group's name.", 'type': 'string'}, 'field': {'description': 'The field let go: a managed field, `members` for a group, empty for a whole number.', 'type': 'string'}, 'keeps': {'description': 'What Close keeps, normalised (user and group ids in lists); null for a whole number, or a group whose members were not read.', 'type': ['string', 'boolean', 'integer', 'null', 'array'], 'items': {'type': 'string'}}, 'label': {'description': "The number's label in Close.", 'type': ['string', 'null']}, 'file': {'description': "The base's file that managed it.", 'type': 'string'}}}, rule='additionalProperties')
                if data__base_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".base must not contain "+str(data__base_keys)+" properties", value=data__base, name="" + (name_prefix or "data") + ".base", definition={'description': 'Since 0.4, only with `plan --base`: the earlier config compared with, and what the config no longer manages compared with it. Never changes: Close keeps them as they are, and `apply` sends nothing for them.', 'type': 'object', 'additionalProperties': False, 'required': ['name', 'no_longer_managed'], 'properties': {'name': {'description': 'The base as given to --base: a path, or a Git ref.', 'type': 'string', 'minLength': 1}, 'no_longer_managed': {'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['kind', 'id', 'name', 'field', 'keeps', 'label', 'file'], 'properties': {'kind': {'description': 'number (the whole number), field (one field of a number still managed) or group (its membership)', 'enum': ['number', 'field', 'group']}, 'id': {'description': "The number's or the group's Close id (a group's key when the groups were not read).", 'type': 'string'}, 'name': {'description': "The number (E.164), or the group's name.", 'type': 'string'}, 'field': {'description': 'The field let go: a managed field, `members` for a group, empty for a whole number.', 'type': 'string'}, 'keeps': {'description': 'What Close keeps, normalised (user and group ids in lists); null for a whole number, or a group whose members were not read.', 'type': ['string', 'boolean', 'integer', 'null', 'array'], 'items': {'type': 'string'}}, 'label': {'description': "The number's label in Close.", 'type': ['string', 'null']}, 'file': {'description': "The base's file that managed it.", 'type': 'string'}}}}}}, rule='additionalProperties')
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties", value=data, name="" + (name_prefix or "data") + "", definition={'title': 'numbersync plan', 'description': "What `numbersync plan --format json` prints and `plan --out PLANFILE` saves, and what `show PLANFILE` and `apply PLANFILE` read back: the changes one config asks of the live numbers, field by field. `apply PLANFILE` refuses a file that does not validate, before any request, and applies one only once verified against the config it was made from. Keys marked 'since 0.2' are absent from plans of numbersync 0.1, which are still read.", 'type': 'object', 'additionalProperties': False, 'required': ['format_version', 'numbersync_version', 'config', 'safety', 'summary', 'changes', 'unchanged', 'unmanaged', 'warnings', 'users', 'groups'], 'properties': {'format_version': {'description': 'The plan format: always the integer 1 for this version of numbersync (1.0 is refused).', 'const': 1}, 'numbersync_version': {'description': 'The version of numbersync that made the plan.', 'type': 'string'}, 'config': {'description': 'The desired-state file (or directory) the plan was made from.', 'type': 'object', 'additionalProperties': False, 'required': ['path', 'fingerprint'], 'properties': {'path': {'description': 'As given to `plan -c`: a file, or a directory of files.', 'type': 'string', 'minLength': 1}, 'fingerprint': {'description': "sha256 of the file's bytes (of every file's path and bytes, for a directory), as `validate --format json` prints it.", 'type': 'string', 'pattern': '^sha256:[0-9a-f]{64}$', 'x-error': 'must be sha256: and 64 hexadecimal digits'}}}, 'safety': {'description': "The config's rails (its `safety`, or the defaults), for reviewers: `apply PLANFILE` takes them from the config it verifies the plan with, never from the file.", 'type': 'object', 'additionalProperties': False, 'required': ['max_change_percent', 'min_managed'], 'properties': {'max_change_percent': {'type': 'number', 'minimum': 0, 'maximum': 100}, 'min_managed': {'type': 'integer', 'minimum': 0}}}, 'summary': {'description': 'Counts of numbers: changed, unchanged, unmanaged; `untargeted` (left out by --target or --exclude) and `risky` (with a change that may leave callers unanswered) since 0.2.', 'type': 'object', 'additionalProperties': False, 'required': ['change', 'unchanged', 'unmanaged'], 'properties': {'change': {'type': 'integer', 'minimum': 0}, 'unchanged': {'type': 'integer', 'minimum': 0}, 'unmanaged': {'type': 'integer', 'minimum': 0}, 'untargeted': {'type': 'integer', 'minimum': 0}, 'risky': {'type': 'integer', 'minimum': 0}}}, 'verdict': {'description': "Since 0.3: apply's verdict when the plan was made (apply judges again on what Close has then): whether it refuses the plan without --force, why, and each change Close will refuse. null when the plan was not judged.", 'type': ['object', 'null'], 'additionalProperties': False, 'required': ['refuses', 'reasons', 'close_refuses'], 'properties': {'refuses': {'type': 'boolean'}, 'reasons': {'type': 'array', 'items': {'type': 'string'}}, 'close_refuses': {'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'owner', 'owner_email', 'reason'], 'properties': {'id': {'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, 'number': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, 'owner': {'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, 'owner_email': {'type': ['string', 'null']}, 'reason': {'type': 'string'}}}}}}, 'files': {'description': 'Since 0.2: every file of the config in path order (one for a single file), with its counts.', 'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['path', 'change', 'unchanged'], 'properties': {'path': {'type': 'string', 'minLength': 1}, 'change': {'type': 'integer', 'minimum': 0}, 'unchanged': {'type': 'integer', 'minimum': 0}}}}, 'changes': {'description': 'One row per changed field, file by file, then by number; the rows of one number are together and agree on everything but the field.', 'type': 'array', 'items': {'description': 'One field of one number: `before` as Close has it (normalised), `after` as the config wants it. `file` and `date_updated` since 0.2, `risk` since 0.2, `owner` and `shares` since 0.3.', 'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'key', 'label', 'field', 'before', 'after'], 'properties': {'id': {'type': 'string', 'pattern': '^phon_[A-Za-z0-9]+$', 'x-error': 'must be a Close phone number id (phon_ and letters or digits)'}, 'number': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'must be a phone number in E.164 form (+ and up to 15 digits)'}, 'key': {'description': "The number's key as written in its config file.", 'type': 'string', 'minLength': 1}, 'file': {'description': 'The config file the number is written in.', 'type': 'string', 'minLength': 1}, 'label': {'description': "The number's label after the change (its label in Close when the label does not change).", 'type': ['string', 'null']}, 'date_updated': {'description': 'When Close last changed the number, as Close writes it.', 'type': ['string', 'null']}, 'field': {'enum': ['label', 'forward_to', 'forward_to_enabled', 'inbound_ring_duration', 'participants', 'participant_groups', 'phone_numbers', 'press_1_to_accept', 'voicemail_greeting_url'], 'x-error': 'must be one of the fields numbersync manages'}, 'before': True, 'after': True, 'risk': {'enum': [None, 'removes participants', 'removes groups', 'removes phone numbers', 'switches forwarding on', 'switches forwarding off'], 'x-error': 'must be null or one of the risks numbersync names'}, 'owner': {'description': "The user whose personal number this is, when it is not the caller's: Close lets only them change it, so it will refuse the change.", 'anyOf': [{'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'must be a user id (user_ and letters or digits)'}, {'type': 'null'}], 'x-error': 'must be null or a user id (user_ and letters or digits)'}, 'shares': {'description': 'Whether the change turns a personal number into a shared one (it then rings more than its one user).', 'type': 'boolean'}}}}, 'unchanged': {'description': 'The managed numbers with nothing to change, as Close writes them.', 'type': 'array', 'items': {'type': 'string'}}, 'unmanaged': {'description': 'The numbers of the account that the config does not name.', 'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['id', 'number', 'label'], 'properties': {'id': {'type': 'string'}, 'number': {'type': 'string'}, 'label': {'type': ['string', 'null']}}}}, 'warnings': {'description': 'Advisory notes, one line each.', 'type': 'array', 'items': {'type': 'string'}}, 'users': {'description': 'User id to email, to show the ids of the plan; never used to resolve one.', 'type': 'object', 'additionalProperties': {'type': 'string'}}, 'groups': {'description': 'Group id to name, to show the ids of the plan; never used to resolve one.', 'type': 'object', 'additionalProperties': {'type': 'string'}}, 'base': {'description': 'Since 0.4, only with `plan --base`: the earlier config compared with, and what the config no longer manages compared with it. Never changes: Close keeps them as they are, and `apply` sends nothing for them.', 'type': 'object', 'additionalProperties': False, 'required': ['name', 'no_longer_managed'], 'properties': {'name': {'description': 'The base as given to --base: a path, or a Git ref.', 'type': 'string', 'minLength': 1}, 'no_longer_managed': {'type': 'array', 'items': {'type': 'object', 'additionalProperties': False, 'required': ['kind', 'id', 'name', 'field', 'keeps', 'label', 'file'], 'properties': {'kind': {'description': 'number (the whole number), field (one field of a number still managed) or group (its membership)', 'enum': ['number', 'field', 'group']}, 'id': {'description': "The number's or the group's Close id (a group's key when the groups were not read).", 'type': 'string'}, 'name': {'description': "The number (E.164), or the group's name.", 'type': 'string'}, 'field': {'description': 'The field let go: a managed field, `members` for a group, empty for a whole number.', 'type': 'string'}, 'keeps': {'description': 'What Close keeps, normalised (user and group ids in lists); null for a whole number, or a group whose members were not read.', 'type': ['string', 'boolean', 'integer', 'null', 'array'], 'items': {'type': 'string'}}, 'label': {'description': "The number's label in Close.", 'type': ['string', 'null']}, 'file': {'description': "The base's file that managed it.", 'type': 'string'}}}}}}}}, rule='additionalProperties')
    return data


def validate_label(data, custom_formats={}, name_prefix=None):
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "before" in data_keys:
            data_keys.remove("before")
            data__before = data["before"]
            if not isinstance(data__before, (str, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".before must be string or null", value=data__before, name="" + (name_prefix or "data") + ".before", definition={'type': ['string', 'null'], 'x-error': 'label must be a string or null'}, rule='type')
        if "after" in data_keys:
            data_keys.remove("after")
            data__after = data["after"]
            if not isinstance(data__after, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must be string", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': 'string', 'x-error': 'label must be a string'}, rule='type')
    return data

REGEX_PATTERNS_forward_to = {
    '^\\+[1-9][0-9]{1,14}$': re.compile('^\\+[1-9][0-9]{1,14}\\Z')
}


def validate_forward_to(data, custom_formats={}, name_prefix=None):
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "before" in data_keys:
            data_keys.remove("before")
            data__before = data["before"]
            if not isinstance(data__before, (str, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".before must be string or null", value=data__before, name="" + (name_prefix or "data") + ".before", definition={'type': ['string', 'null'], 'x-error': 'forward_to must be a string or null'}, rule='type')
        if "after" in data_keys:
            data_keys.remove("after")
            data__after = data["after"]
            if not isinstance(data__after, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must be string", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'forward_to must be a phone number in E.164 form (+ and up to 15 digits)'}, rule='type')
            if isinstance(data__after, str):
                if not REGEX_PATTERNS_forward_to['^\\+[1-9][0-9]{1,14}$'].search(data__after):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must match pattern ^\\+[1-9][0-9]{1,14}$", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'forward_to must be a phone number in E.164 form (+ and up to 15 digits)'}, rule='pattern')
    return data


def validate_forward_to_enabled(data, custom_formats={}, name_prefix=None):
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "before" in data_keys:
            data_keys.remove("before")
            data__before = data["before"]
            if not isinstance(data__before, (bool, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".before must be boolean or null", value=data__before, name="" + (name_prefix or "data") + ".before", definition={'type': ['boolean', 'null'], 'x-error': 'forward_to_enabled must be true, false or null'}, rule='type')
        if "after" in data_keys:
            data_keys.remove("after")
            data__after = data["after"]
            if not isinstance(data__after, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must be boolean", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': 'boolean', 'x-error': 'forward_to_enabled must be true or false'}, rule='type')
    return data


def validate_inbound_ring_duration(data, custom_formats={}, name_prefix=None):
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "before" in data_keys:
            data_keys.remove("before")
            data__before = data["before"]
            if not isinstance(data__before, (int)) and not (isinstance(data__before, float) and data__before.is_integer()) or isinstance(data__before, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".before must be integer", value=data__before, name="" + (name_prefix or "data") + ".before", definition={'type': 'integer', 'x-error': 'inbound_ring_duration must be an integer'}, rule='type')
        if "after" in data_keys:
            data_keys.remove("after")
            data__after = data["after"]
            if not isinstance(data__after, (int)) and not (isinstance(data__after, float) and data__after.is_integer()) or isinstance(data__after, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must be integer", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': 'integer', 'minimum': 15, 'maximum': 90, 'x-error': 'inbound_ring_duration must be an integer from 15 to 90'}, rule='type')
            if isinstance(data__after, (int, float, Decimal)) and not isinstance(data__after, bool):
                if data__after < 15:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must be bigger than or equal to 15", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': 'integer', 'minimum': 15, 'maximum': 90, 'x-error': 'inbound_ring_duration must be an integer from 15 to 90'}, rule='minimum')
                if data__after > 90:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must be smaller than or equal to 90", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': 'integer', 'minimum': 15, 'maximum': 90, 'x-error': 'inbound_ring_duration must be an integer from 15 to 90'}, rule='maximum')
    return data

REGEX_PATTERNS_participants = {
    '^user_[A-Za-z0-9]+$': re.compile('^user_[A-Za-z0-9]+\\Z')
}


def validate_participants(data, custom_formats={}, name_prefix=None):
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "before" in data_keys:
            data_keys.remove("before")
            data__before = data["before"]
            if not isinstance(data__before, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".before must be array", value=data__before, name="" + (name_prefix or "data") + ".before", definition={'type': 'array', 'items': {'type': 'string', 'x-error': 'each of participants must be a string'}, 'x-error': 'participants must be a list of strings'}, rule='type')
            data__before_is_list = isinstance(data__before, (list, tuple))
            if data__before_is_list:
                data__before_len = len(data__before)
                for data__before_x, data__before_item in enumerate(data__before):
                    if not isinstance(data__before_item, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".before[{data__before_x}]".format(**locals()) + " must be string", value=data__before_item, name="" + (name_prefix or "data") + ".before[{data__before_x}]".format(**locals()) + "", definition={'type': 'string', 'x-error': 'each of participants must be a string'}, rule='type')
        if "after" in data_keys:
            data_keys.remove("after")
            data__after = data["after"]
            if not isinstance(data__after, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must be array", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'each participant must be a user id (user_ and letters or digits)'}, 'x-error': 'participants must be a list of user ids, each once'}, rule='type')
            data__after_is_list = isinstance(data__after, (list, tuple))
            if data__after_is_list:
                def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                data__after_len = len(data__after)
                if data__after_len > len(set(fn(data__after_x) for data__after_x in data__after)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must contain unique items", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'each participant must be a user id (user_ and letters or digits)'}, 'x-error': 'participants must be a list of user ids, each once'}, rule='uniqueItems')
                for data__after_x, data__after_item in enumerate(data__after):
                    if not isinstance(data__after_item, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".after[{data__after_x}]".format(**locals()) + " must be string", value=data__after_item, name="" + (name_prefix or "data") + ".after[{data__after_x}]".format(**locals()) + "", definition={'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'each participant must be a user id (user_ and letters or digits)'}, rule='type')
                    if isinstance(data__after_item, str):
                        if not REGEX_PATTERNS_participants['^user_[A-Za-z0-9]+$'].search(data__after_item):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".after[{data__after_x}]".format(**locals()) + " must match pattern ^user_[A-Za-z0-9]+$", value=data__after_item, name="" + (name_prefix or "data") + ".after[{data__after_x}]".format(**locals()) + "", definition={'type': 'string', 'pattern': '^user_[A-Za-z0-9]+$', 'x-error': 'each participant must be a user id (user_ and letters or digits)'}, rule='pattern')
    return data

REGEX_PATTERNS_participant_groups = {
    '^group_[A-Za-z0-9]+$': re.compile('^group_[A-Za-z0-9]+\\Z')
}


def validate_participant_groups(data, custom_formats={}, name_prefix=None):
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "before" in data_keys:
            data_keys.remove("before")
            data__before = data["before"]
            if not isinstance(data__before, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".before must be array", value=data__before, name="" + (name_prefix or "data") + ".before", definition={'type': 'array', 'items': {'type': 'string', 'x-error': 'each of participant_groups must be a string'}, 'x-error': 'participant_groups must be a list of strings'}, rule='type')
            data__before_is_list = isinstance(data__before, (list, tuple))
            if data__before_is_list:
                data__before_len = len(data__before)
                for data__before_x, data__before_item in enumerate(data__before):
                    if not isinstance(data__before_item, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".before[{data__before_x}]".format(**locals()) + " must be string", value=data__before_item, name="" + (name_prefix or "data") + ".before[{data__before_x}]".format(**locals()) + "", definition={'type': 'string', 'x-error': 'each of participant_groups must be a string'}, rule='type')
        if "after" in data_keys:
            data_keys.remove("after")
            data__after = data["after"]
            if not isinstance(data__after, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must be array", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': 'array', 'uniqueItems': True, 'maxItems': 40, 'items': {'type': 'string', 'pattern': '^group_[A-Za-z0-9]+$', 'x-error': 'each group must be a group id (group_ and letters or digits)'}, 'x-error': 'participant_groups must be a list of at most 40 group ids, each once'}, rule='type')
            data__after_is_list = isinstance(data__after, (list, tuple))
            if data__after_is_list:
                data__after_len = len(data__after)
                if data__after_len > 40:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must contain less than or equal to 40 items", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': 'array', 'uniqueItems': True, 'maxItems': 40, 'items': {'type': 'string', 'pattern': '^group_[A-Za-z0-9]+$', 'x-error': 'each group must be a group id (group_ and letters or digits)'}, 'x-error': 'participant_groups must be a list of at most 40 group ids, each once'}, rule='maxItems')
                def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                if data__after_len > len(set(fn(data__after_x) for data__after_x in data__after)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must contain unique items", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': 'array', 'uniqueItems': True, 'maxItems': 40, 'items': {'type': 'string', 'pattern': '^group_[A-Za-z0-9]+$', 'x-error': 'each group must be a group id (group_ and letters or digits)'}, 'x-error': 'participant_groups must be a list of at most 40 group ids, each once'}, rule='uniqueItems')
                for data__after_x, data__after_item in enumerate(data__after):
                    if not isinstance(data__after_item, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".after[{data__after_x}]".format(**locals()) + " must be string", value=data__after_item, name="" + (name_prefix or "data") + ".after[{data__after_x}]".format(**locals()) + "", definition={'type': 'string', 'pattern': '^group_[A-Za-z0-9]+$', 'x-error': 'each group must be a group id (group_ and letters or digits)'}, rule='type')
                    if isinstance(data__after_item, str):
                        if not REGEX_PATTERNS_participant_groups['^group_[A-Za-z0-9]+$'].search(data__after_item):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".after[{data__after_x}]".format(**locals()) + " must match pattern ^group_[A-Za-z0-9]+$", value=data__after_item, name="" + (name_prefix or "data") + ".after[{data__after_x}]".format(**locals()) + "", definition={'type': 'string', 'pattern': '^group_[A-Za-z0-9]+$', 'x-error': 'each group must be a group id (group_ and letters or digits)'}, rule='pattern')
    return data

REGEX_PATTERNS_phone_numbers = {
    '^\\+[1-9][0-9]{1,14}$': re.compile('^\\+[1-9][0-9]{1,14}\\Z')
}


def validate_phone_numbers(data, custom_formats={}, name_prefix=None):
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "before" in data_keys:
            data_keys.remove("before")
            data__before = data["before"]
            if not isinstance(data__before, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".before must be array", value=data__before, name="" + (name_prefix or "data") + ".before", definition={'type': 'array', 'items': {'type': 'string', 'x-error': 'each of phone_numbers must be a string'}, 'x-error': 'phone_numbers must be a list of strings'}, rule='type')
            data__before_is_list = isinstance(data__before, (list, tuple))
            if data__before_is_list:
                data__before_len = len(data__before)
                for data__before_x, data__before_item in enumerate(data__before):
                    if not isinstance(data__before_item, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".before[{data__before_x}]".format(**locals()) + " must be string", value=data__before_item, name="" + (name_prefix or "data") + ".before[{data__before_x}]".format(**locals()) + "", definition={'type': 'string', 'x-error': 'each of phone_numbers must be a string'}, rule='type')
        if "after" in data_keys:
            data_keys.remove("after")
            data__after = data["after"]
            if not isinstance(data__after, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must be array", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'each phone number must be in E.164 form (+ and up to 15 digits)'}, 'x-error': 'phone_numbers must be a list of phone numbers, each once'}, rule='type')
            data__after_is_list = isinstance(data__after, (list, tuple))
            if data__after_is_list:
                def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                data__after_len = len(data__after)
                if data__after_len > len(set(fn(data__after_x) for data__after_x in data__after)):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must contain unique items", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': 'array', 'uniqueItems': True, 'items': {'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'each phone number must be in E.164 form (+ and up to 15 digits)'}, 'x-error': 'phone_numbers must be a list of phone numbers, each once'}, rule='uniqueItems')
                for data__after_x, data__after_item in enumerate(data__after):
                    if not isinstance(data__after_item, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".after[{data__after_x}]".format(**locals()) + " must be string", value=data__after_item, name="" + (name_prefix or "data") + ".after[{data__after_x}]".format(**locals()) + "", definition={'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'each phone number must be in E.164 form (+ and up to 15 digits)'}, rule='type')
                    if isinstance(data__after_item, str):
                        if not REGEX_PATTERNS_phone_numbers['^\\+[1-9][0-9]{1,14}$'].search(data__after_item):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".after[{data__after_x}]".format(**locals()) + " must match pattern ^\\+[1-9][0-9]{1,14}$", value=data__after_item, name="" + (name_prefix or "data") + ".after[{data__after_x}]".format(**locals()) + "", definition={'type': 'string', 'pattern': '^\\+[1-9][0-9]{1,14}$', 'x-error': 'each phone number must be in E.164 form (+ and up to 15 digits)'}, rule='pattern')
    return data


def validate_press_1_to_accept(data, custom_formats={}, name_prefix=None):
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "before" in data_keys:
            data_keys.remove("before")
            data__before = data["before"]
            if not isinstance(data__before, (bool, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".before must be boolean or null", value=data__before, name="" + (name_prefix or "data") + ".before", definition={'type': ['boolean', 'null'], 'x-error': 'press_1_to_accept must be true, false or null'}, rule='type')
        if "after" in data_keys:
            data_keys.remove("after")
            data__after = data["after"]
            if not isinstance(data__after, (bool)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must be boolean", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': 'boolean', 'x-error': 'press_1_to_accept must be true or false'}, rule='type')
    return data

REGEX_PATTERNS_voicemail_greeting_url = {
    '^https://[^\\s/?#]+([/?#]\\S*)?$': re.compile('^https://[^\\s/?#]+([/?#]\\S*)?\\Z')
}


def validate_voicemail_greeting_url(data, custom_formats={}, name_prefix=None):
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "before" in data_keys:
            data_keys.remove("before")
            data__before = data["before"]
            if not isinstance(data__before, (str, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".before must be string or null", value=data__before, name="" + (name_prefix or "data") + ".before", definition={'type': ['string', 'null'], 'x-error': 'voicemail_greeting_url must be a string or null'}, rule='type')
        if "after" in data_keys:
            data_keys.remove("after")
            data__after = data["after"]
            if not isinstance(data__after, (str, NoneType)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must be string or null", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': ['string', 'null'], 'pattern': '^https://[^\\s/?#]+([/?#]\\S*)?$', 'x-error': 'voicemail_greeting_url must be an https:// URL, or null'}, rule='type')
            if isinstance(data__after, str):
                if not REGEX_PATTERNS_voicemail_greeting_url['^https://[^\\s/?#]+([/?#]\\S*)?$'].search(data__after):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".after must match pattern ^https://[^\\s/?#]+([/?#]\\S*)?$", value=data__after, name="" + (name_prefix or "data") + ".after", definition={'type': ['string', 'null'], 'pattern': '^https://[^\\s/?#]+([/?#]\\S*)?$', 'x-error': 'voicemail_greeting_url must be an https:// URL, or null'}, rule='pattern')
    return data