"""Lost updates on grids that several people edit at once (the gradebook, a register).

Two people open the same page; one saves a value; the other, still looking at the old one, saves something
else over it and is told "saved". To stop that, a grid draws every editable value together with a copy of
it, the *base* (what the person saw when the page was drawn), and every save sends both. The service that
writes compares the base with what is stored now, after locking the row, in the transaction that writes:

- the new value equals the base: the person did not change it, so nothing is written, even when someone
  else changed it meanwhile (their value stands);
- the stored value already equals the new one: nothing to write and nothing lost;
- the stored value equals the base: nobody else changed it, so the new value is written;
- otherwise someone else changed it since the page was drawn: the write is refused with `EditConflict`,
  which carries the stored value so that the page can show it next to what was typed (kept, unsaved).

Sending the same value again with the stored value as its base (after seeing it) writes: that is how a
person overwrites on purpose. Each grid decides what its values are (a mark's display text, a register
row's status, minutes, reason and note) and normalises them before they are compared here.
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    UNTOUCHED = "untouched"  # new == base: not the person's change; write nothing
    ALREADY = "already"  # stored == new: nothing to write
    WRITE = "write"  # stored == base: safe to write
    CONFLICT = "conflict"  # someone else changed it since the page was drawn


def edit_verdict[V](*, base: V, new: V, stored: V) -> Verdict:
    """What to do with one edited value, given what the page showed (`base`), what the person sent (`new`)
    and what is stored now (`stored`, read under a row lock by the caller)."""
    if new == base:
        return Verdict.UNTOUCHED
    if stored == new:
        return Verdict.ALREADY
    if stored == base:
        return Verdict.WRITE
    return Verdict.CONFLICT


class EditConflict(Exception):
    """A write refused because the stored value changed since the page was drawn. `current` is that value
    in the grid's own terms (a mark's display text, a register row's record or None); nothing was written."""

    def __init__(self, *, current):
        super().__init__("stored value changed since the page was drawn")
        self.current = current
