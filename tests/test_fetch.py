"""What a plan reads besides the numbers' own fields: the fields to ask for, by what the file
manages (apply, whose file is read before the account), and the reads a plan begins before its
file is read, against the emulator."""

from __future__ import annotations

import pytest

from numbersync.fetch import fields_to_fetch

RINGING = ["participant_groups", "participants", "phone_numbers"]


@pytest.mark.parametrize(
    ("managed", "fields"),
    [
        (["label"], ["label"]),
        # The three fields a number rings come together: the safety rail needs all of them to
        # tell whether a change leaves a number ringing nothing.
        (["participants"], RINGING),
        (["participant_groups", "label"], ["label", *RINGING]),
        (["phone_numbers"], RINGING),
        ([], []),
    ],
)
def test_the_fields_read_are_those_managed_with_the_ringing_ones_together(
    managed: list[str], fields: list[str]
) -> None:
    assert fields_to_fetch(managed) == fields
