"""
Shared fixtures: a small municipality ("world") with personas in the roles of DESIGN.md, and a second municipality.

- official: editor (tjänsteperson) of Barn- och utbildningsnämnden (BUN), so of its förvaltning and enheter too
- colleague: reviewer (read-only) of BUN
- politician: reviewer (förtroendevald) of the whole municipality (its KF)
- outsider: editor of another nämnd (Socialnämnden) in the same municipality
- foreigner: editor in another municipality
- admin: administrator of the whole municipality
"""

import os
import uuid
from types import SimpleNamespace

import pytest

from styrning.celery import app
from styrning.services import membership_grant

from . import factories as f

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    """Municipality A with KF goals, nämndmål, a förvaltning and an enhet; municipality B beside it."""
    w = SimpleNamespace()
    w.municipality = f.make_municipality(name="Vaggeryds kommun", slug="vaggeryd")
    w.kf = f.root_of(w.municipality)
    w.ks = f.make_org(parent=w.kf, kind="executive_board", name="Kommunstyrelsen", short_name="KS", code="KS")
    w.bun = f.make_org(parent=w.kf, name="Barn- och utbildningsnämnden", short_name="BUN", code="BUN")
    w.bun_admin = f.make_org(parent=w.bun, kind="administration", name="Barn- och utbildningsförvaltningen", code="BUF")
    w.school = f.make_org(parent=w.bun_admin, kind="unit", name="Hagaskolan", code="HAGA")
    w.sn = f.make_org(parent=w.kf, name="Socialnämnden", short_name="SN", code="SN")
    w.period = f.make_mandate_period(municipality=w.municipality)
    w.vision = f.make_vision(municipality=w.municipality)
    w.strategic_plan = f.make_plan(organisation=w.kf, mandate_period=w.period, title="Strategisk plan 2023–2026")
    w.kf1 = f.make_goal(
        parent=w.vision,
        organisation=w.kf,
        plan=w.strategic_plan,
        code="KF1",
        title="Hållbar samhällsutveckling",
        start_year=2023,
        end_year=2026,
    )
    w.kf2 = f.make_goal(
        parent=w.vision,
        organisation=w.kf,
        plan=w.strategic_plan,
        code="KF2",
        title="Hög sysselsättning",
        start_year=2023,
        end_year=2026,
    )
    w.bun_plan = f.make_plan(organisation=w.bun, year=2025, title="Nämndplan BUN 2025")
    w.bun1 = f.make_goal(
        parent=w.kf1, organisation=w.bun, plan=w.bun_plan, code="BUN1", title="Fler elever klarar skolan"
    )
    w.indicator = f.make_indicator(goal=w.bun1, name="Behöriga till gymnasiet", unit="%", kolada_id="N15428")
    f.make_target(indicator=w.indicator, year=2025, value=90)
    w.outcome = f.make_outcome(indicator=w.indicator, year=2024, value=86)
    w.buf_plan = f.make_plan(organisation=w.bun_admin, year=2025, title="Verksamhetsplan BUF 2025")
    w.buf1 = f.make_goal(parent=w.bun1, organisation=w.bun_admin, plan=w.buf_plan, code="BUF1", title="Läsfrämjande")
    w.sn_plan = f.make_plan(organisation=w.sn, year=2025, title="Nämndplan SN 2025")
    w.sn1 = f.make_goal(parent=w.kf1, organisation=w.sn, plan=w.sn_plan, code="SN1", title="Trygg omsorg")
    w.document = f.make_document(organisation=w.bun, title="Skolplan", kind="plan")

    w.other = f.make_municipality(name="Säters kommun", slug="sater")
    w.other_kf = f.root_of(w.other)
    w.other_committee = f.make_org(parent=w.other_kf, name="Kultur- och fritidsnämnden", code="KFN")
    w.other_vision = f.make_vision(municipality=w.other, statement="Säter är en välkomnande kommun.")

    w.official = f.make_user("official")
    w.colleague = f.make_user("colleague")
    w.politician = f.make_user("politician")
    w.outsider = f.make_user("outsider")
    w.foreigner = f.make_user("foreigner")
    w.admin = f.make_user("admin")
    membership_grant(user=w.official, organisation=w.bun, role="editor", granted_by=None)
    membership_grant(user=w.colleague, organisation=w.bun, role="reviewer", granted_by=None)
    membership_grant(user=w.politician, organisation=w.kf, role="reviewer", granted_by=None)
    membership_grant(user=w.outsider, organisation=w.sn, role="editor", granted_by=None)
    membership_grant(user=w.foreigner, organisation=w.other_committee, role="editor", granted_by=None)
    membership_grant(user=w.admin, organisation=w.kf, role="admin", granted_by=None)
    return w


def login(client, user):
    client.force_login(user)
    return client


# --- How Celery tasks run in a test -------------------------------------------------------------------------------


@pytest.fixture
def eager(settings):
    """Tasks run in-process, as without a broker (also where CI configures one)."""
    previous = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def celery_worker(settings):
    """A real worker in a thread of this process (Celery's test worker, one task at a time), on a queue of its own so
    that another test run on the machine cannot take our tasks. Needs CELERY_BROKER_URL; use with transactional_db:
    the worker's connection sees only what is committed."""
    from celery.contrib.testing.worker import start_worker

    queue = f"styrning-test-{uuid.uuid4().hex}"
    previous = {key: app.conf[key] for key in ("task_always_eager", "task_default_queue")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.update(task_always_eager=False, task_default_queue=queue)
    try:
        with start_worker(app, perform_ping_check=False, queues=[queue], shutdown_timeout=60):
            yield
    finally:
        app.conf.update(previous)
