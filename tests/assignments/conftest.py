import datetime

import pytest

from assignments import services
from assignments.models import Assignment


def give(
    world,
    *,
    code,
    lead,
    receivers=(),
    amounts=(),
    start_year=2025,
    due_date="2025-12-31",
    kind="assignment",
    given_by=None,
    title=None,
):
    assignment = Assignment(
        municipality=world.municipality,
        code=code,
        title=title or f"Uppdrag {code}",
        description="Ta fram en plan.",
        kind=kind,
        given_by=given_by or world.kf,
        lead=lead,
        start_year=start_year,
        due_date=datetime.date.fromisoformat(due_date) if due_date else None,
    )
    return services.assignment_give(
        assignment=assignment,
        receivers=list(receivers),
        amounts=list(amounts),
        decision={
            "decided_by": world.kf,
            "decided_on": datetime.date(start_year - 1, 11, 28),
            "paragraph": "§ 112",
            "registration_number": "Dnr KS 2024/301",
        },
        user=world.admin,
    )


@pytest.fixture
def assigned(world):
    """BUN leads an assignment with 2 mkr in 2025, shared with SN; KS has a constraint."""
    world.assignment = give(
        world,
        code="BUN-2025-1",
        lead=world.bun,
        receivers=[world.sn],
        amounts=[(world.bun, 2025, 2_000_000, ""), (world.sn, 2025, 400_000, "")],
    )
    world.constraint = give(world, code="KS-2025-V", lead=world.ks, kind="constraint", title="Hyresökning högst 2,2 %")
    return world
