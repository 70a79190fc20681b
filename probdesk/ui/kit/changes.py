"""What an operation changed, so that each view decides for itself whether to read again.

Every `Runner.run` names the kinds of data its work may change (`changes=`); when the work has
ended (done or failed: a failed merge may have merged some packages before it stopped) the
runner broadcasts them on `Runner.changed`, and a view that shows one of those kinds reads
again (at once when shown, else when next shown). A read that changes nothing names nothing.
No view compares operation titles.
"""

from __future__ import annotations

from enum import Flag, auto


class Changes(Flag):
    NONE = 0
    INSPECTIONS = auto()  # this laptop's inspections: opened, closed, purged
    CASES = auto()  # cases, facts, answers, submissions on this laptop
    MEETINGS = auto()  # meetings, focus groups and their notes
    EVIDENCE = auto()  # the domain-one evidence log: documents, gaps, judgements
    OUTBOX = auto()  # packages written, copied to the shared folder, receipts taken in
    TEAM = auto()  # the lead's sample, team, keys and setup revisions
    HUB = auto()  # the hub: merges, moderation, settled conflicts, closing, purge
