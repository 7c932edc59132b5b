"""Writes of the compliance engine: persisted obligations and their status changes."""


def refresh_for_meeting(meeting) -> None:
    """Re-evaluate the obligations a meeting's record affects, right after it changes.

    Called explicitly by orglife services (record_confirm, amend) so pages are current
    without waiting for a worker.
    """
