"""The shared core's writes (styrning.services): a history reason always fits its column."""

from styrning.services import HISTORY_REASON_LENGTH, history_reason, object_save


def test_a_long_history_reason_is_cut_to_its_column(world):
    """PostgreSQL refuses a reason longer than simple-history's column (and the save with it); SQLite would keep it."""
    world.bun.mission = "Nämnden fullgör kommunens uppgifter enligt skollagen."
    object_save(world.bun, user=world.admin, reason="Justerat grunduppdrag " * 10)
    reason = world.bun.history.latest().history_change_reason
    assert HISTORY_REASON_LENGTH == 100 and len(reason) == 100
    assert reason.startswith("Justerat grunduppdrag Justerat") and reason.endswith(" Justerat gr…")


def test_a_short_history_reason_is_kept():
    assert history_reason("Nytt mål") == "Nytt mål"
    assert history_reason("x" * 100) == "x" * 100
    assert history_reason("x" * 98 + " yz") == "x" * 98 + "…"  # no space before the ellipsis
    assert history_reason("") == "" and history_reason(None) is None
