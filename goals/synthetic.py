"""
A large synthetic municipality, "Storstads kommun (syntetisk)", for benchmarks.

Everything is generated in memory, numbered as MPTT would number it, and written with
`bulk_create_with_history` (one history row of type "+" per object) in one transaction. Inserting tree nodes one at
a time costs about 100 ms each on a big tree (DESIGN.md), so the organisation tree (tree_id/lft/rght/level) and the
goal tree (tree_id/lft/rght/depth) are numbered here, depth-first with siblings in MPTT's `order_insertion_by`
order (organisations by name, goals by code), exactly as `partial_rebuild` would number them. Every object is
checked with the model's `clean()` before it is written (in memory, no query), and the trees are verified from the
database afterwards.

Sibling names and codes are built so that their order is the same in Python and in any database collation (the
first character in which two siblings differ is an ASCII letter or digit of the same kind); `_check_sibling_keys`
enforces it, since a different order in the database would make the stored numbering differ from a rebuild.
"""

import datetime
import random
import time
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from styrning.choices import OrganisationKind
from styrning.models import MandatePeriod, Membership, Municipality, Organisation, SteeringDocument
from styrning.services import object_save

from .choices import (
    LEVEL_FOR_ORGANISATION,
    PLAN_KIND_FOR_ORGANISATION,
    ActivityStatus,
    Direction,
    GoalKind,
    GoalLevel,
    OutcomePeriod,
    Perspective,
    PlanKind,
    PlanStatus,
)
from .models import Goal, Indicator, Outcome, Plan, SdgGoal, Target, Value

DEFAULT_SLUG = "storstad"
MUNICIPALITY_NAME = "Storstads kommun (syntetisk)"
CHANGE_REASON = "Syntetisk kommun för prestandamätning"
BATCH_SIZE = 1000
CHUNK_SIZE = 10_000  # objects per bulk_create_with_history call, to bound the memory of the history instances

# Share of the goal tree (below the vision and the KF goals) that are goals; the rest are activities.
GOAL_SHARE = 0.12
ADOPTED_SHARE = 0.85  # share of the year plans that are adopted (fastställda)
INDICATORS_PER_GOAL_MAX = 3

# (name, short name, förvaltning, verksamheter, weight): the weight steers how many verksamheter and enheter the
# nämnd gets. Names avoid a leading Å/Ä/Ö so that their order does not depend on the collation.
COMMITTEES = [
    (
        "Barn- och utbildningsnämnden",
        "BUN",
        "Barn- och utbildningsförvaltningen",
        [
            "Anpassad skola",
            "Elevhälsa",
            "Grundskola",
            "Gymnasieskola",
            "Kulturskola",
            "Skolbarnsomsorg",
            "Tidiga år",
            "Vuxenutbildning",
        ],
        5,
    ),
    (
        "Vård- och omsorgsnämnden",
        "VON",
        "Vård- och omsorgsförvaltningen",
        [
            "Dagverksamhet",
            "Funktionsstöd",
            "Hemsjukvård",
            "Hemtjänst",
            "Korttidsvård",
            "Rehabilitering",
            "Särskilt boende",
        ],
        4,
    ),
    (
        "Socialnämnden",
        "SN",
        "Socialförvaltningen",
        ["Barn och unga", "Ekonomiskt bistånd", "Familjerätt", "Integration", "Missbruksvård", "Vuxna"],
        3,
    ),
    (
        "Tekniska nämnden",
        "TN",
        "Tekniska förvaltningen",
        ["Avfall", "Fastighet", "Gata och park", "Kost", "Lokalvård", "Vatten och avlopp"],
        2,
    ),
    (
        "Kultur- och fritidsnämnden",
        "KFN",
        "Kultur- och fritidsförvaltningen",
        ["Bibliotek", "Fritidsgårdar", "Idrottsanläggningar", "Kulturhus", "Museum"],
        2,
    ),
    (
        "Samhällsbyggnadsnämnden",
        "SBN",
        "Samhällsbyggnadsförvaltningen",
        ["Bygglov", "Detaljplan", "Lantmäteri", "Mark och exploatering", "Trafik"],
        2,
    ),
    (
        "Arbetsmarknadsnämnden",
        "AMN",
        "Arbetsmarknadsförvaltningen",
        ["Etablering", "Feriearbete", "Jobbcenter", "Praktik"],
        1,
    ),
    (
        "Gymnasienämnden",
        "GN",
        "Gymnasieförvaltningen",
        ["Introduktionsprogram", "Nationella program", "Studievägledning", "Yrkesvux"],
        2,
    ),
    (
        "Miljö- och hälsoskyddsnämnden",
        "MHN",
        "Miljöförvaltningen",
        ["Hälsoskydd", "Livsmedelskontroll", "Miljötillsyn", "Naturvård"],
        1,
    ),
    ("Byggnadsnämnden", "BN", "Byggförvaltningen", ["Bygglov", "Kart och mät", "Tillsyn"], 1),
    ("Räddningsnämnden", "RN", "Räddningstjänsten", ["Förebyggande", "Larmcentral", "Utryckning"], 1),
    ("Krisledningsnämnden", "KLN", "Säkerhetsavdelningen", ["Krisberedskap", "Säkerhetssamordning"], 1),
]
EXECUTIVE_BOARD = (
    "Kommunstyrelsen",
    "KS",
    "Kommunledningsförvaltningen",
    ["Ekonomi", "HR", "Kansli", "Kommunikation", "Näringsliv", "Strategisk planering", "Upphandling"],
    2,
)
HOLDING_COMPANY = ("Storstads Stadshus AB", "STAB")
COMPANIES = [
    ("Storstads Bostäder AB", "SBAB", ["Drift", "Fastighetsservice", "Uthyrning"], 2),
    ("Storstads Energi AB", "SEAB", ["Elnät", "Fjärrvärme", "Kundservice"], 1),
]

DIRECTION_GOALS = [
    "Storstad är en attraktiv kommun att bo, leva och verka i",
    "Alla barn och unga ges goda förutsättningar att lyckas",
    "Invånarna får en trygg vård och omsorg av hög kvalitet",
    "Storstad är en hållbar kommun med minskad klimatpåverkan",
]
FINANCIAL_GOALS = [
    "Årets resultat uppgår till minst 2 procent av skatter och statsbidrag",
    "Investeringarna finansieras till minst 70 procent med egna medel",
]
GOAL_TITLES = {
    Perspective.ECONOMY: [
        "Verksamheten bedrivs inom given budgetram",
        "Resurserna används effektivt",
        "Kostnaden per brukare ligger i nivå med jämförbara kommuner",
        "Prognossäkerheten förbättras",
    ],
    Perspective.CITIZENS: [
        "Invånarna är nöjda med kommunens service",
        "Brukarna upplever delaktighet och inflytande",
        "Fler elever når kunskapsmålen",
        "Tryggheten i offentliga miljöer ökar",
        "Handläggningstiderna blir kortare",
    ],
    Perspective.OPERATIONS: [
        "Medarbetarna har en god arbetsmiljö",
        "Sjukfrånvaron minskar",
        "Kommunen är en attraktiv arbetsgivare",
        "Ledarskapet är tydligt och närvarande",
    ],
    Perspective.DEVELOPMENT: [
        "Digitala tjänster ersätter manuella flöden",
        "Verksamheten utvecklas genom innovation",
        "Klimatavtrycket från verksamheten minskar",
        "Samverkan med civilsamhället stärks",
    ],
}
ACTIVITY_VERBS = ["Genomföra", "Införa", "Ta fram", "Utveckla", "Utvärdera", "Kartlägga", "Följa upp"]
ACTIVITY_OBJECTS = [
    "medarbetarenkät",
    "digital signering",
    "rutin för avvikelsehantering",
    "kompetensutvecklingsplan",
    "brukarundersökning",
    "e-tjänst för ansökan",
    "plan för energieffektivisering",
    "samverkansforum med föreningslivet",
    "internkontroll av inköp",
    "handlingsplan för minskad sjukfrånvaro",
]
ACTIVITY_RESPONSIBLE = {
    OrganisationKind.EXECUTIVE_BOARD: "Kommundirektör",
    OrganisationKind.COMMITTEE: "Förvaltningschef",
    OrganisationKind.COMPANY: "Vd",
    OrganisationKind.ADMINISTRATION: "Förvaltningschef",
    OrganisationKind.DEPARTMENT: "Verksamhetschef",
    OrganisationKind.UNIT: "Enhetschef",
}
ACTIVITY_STATUSES = [
    (ActivityStatus.DONE, 30),
    (ActivityStatus.ONGOING, 40),
    (ActivityStatus.NOT_STARTED, 20),
    (ActivityStatus.POSTPONED, 7),
    (ActivityStatus.CANCELLED, 3),
]
# (name, unit, direction, typical starting value) per perspective.
INDICATORS = {
    Perspective.ECONOMY: [
        ("Budgetavvikelse", "%", Direction.DECREASE, 3),
        ("Nettokostnad per invånare", "kr/invånare", Direction.DECREASE, 12_000),
        ("Andel investeringar finansierade med egna medel", "%", Direction.INCREASE, 60),
    ],
    Perspective.CITIZENS: [
        ("Nöjd medborgar-index", "index", Direction.INCREASE, 55),
        ("Andel elever med godkänt i alla ämnen", "%", Direction.INCREASE, 72),
        ("Handläggningstid", "dagar", Direction.DECREASE, 30),
        ("Andel brukare som känner sig trygga", "%", Direction.INCREASE, 80),
    ],
    Perspective.OPERATIONS: [
        ("Sjukfrånvaro", "%", Direction.DECREASE, 8),
        ("Hållbart medarbetarengagemang (HME)", "index", Direction.INCREASE, 78),
        ("Personalomsättning", "%", Direction.DECREASE, 12),
    ],
    Perspective.DEVELOPMENT: [
        ("Antal digitala e-tjänster", "antal", Direction.INCREASE, 20),
        ("Utsläpp av växthusgaser från verksamheten", "ton CO2e", Direction.DECREASE, 900),
        ("Andel ärenden som startas digitalt", "%", Direction.INCREASE, 35),
    ],
}
VALUES = [
    ("Engagemang", "Vi bryr oss om resultatet."),
    ("Respekt", "Vi möter alla med respekt."),
    ("Öppenhet", "Vi delar med oss av det vi vet."),
]

GOVERNING_KINDS = {
    OrganisationKind.COUNCIL,
    OrganisationKind.EXECUTIVE_BOARD,
    OrganisationKind.COMMITTEE,
    OrganisationKind.COMPANY,
}


class _Node:
    """An unsaved model instance with its children, for numbering a tree before it is written."""

    __slots__ = ("obj", "parent", "children", "goals", "plan", "index")

    def __init__(self, obj, parent=None):
        self.obj = obj
        self.parent = parent
        self.children = []
        self.goals = []  # organisations: their goal nodes of kind goal (the candidates for parents below)
        self.plan = None
        self.index = 0
        if parent is not None:
            parent.children.append(self)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


def _allocate(total, weights, minimum=0):
    """Split `total` into integers proportional to `weights` (largest remainder), each at least `minimum` (a number,
    or one per weight)."""
    n = len(weights)
    if n == 0:
        return []
    base = list(minimum) if isinstance(minimum, list) else [minimum] * n
    rest = total - sum(base)
    if rest <= 0:
        return base
    weight_sum = sum(weights) or 1
    raw = [rest * w / weight_sum for w in weights]
    counts = [int(r) for r in raw]
    leftover = rest - sum(counts)
    for i in sorted(range(n), key=lambda i: (counts[i] - raw[i], i))[:leftover]:
        counts[i] += 1
    return [b + c for b, c in zip(base, counts, strict=True)]


def _collation_safe(a, b):
    """True if a < b (code points) holds in any collation as well: the first difference is between ASCII letters of
    one case or digits (digits sort before letters everywhere), or `a` is a prefix of `b` followed by a letter/digit.
    """
    for x, y in zip(a, b, strict=False):
        if x != y:
            if not (x.isascii() and y.isascii() and x.isalnum() and y.isalnum()):
                return False
            return not (x.isalpha() and y.isalpha() and x.isupper() != y.isupper())
    return len(a) < len(b) and any(c.isalnum() for c in b[len(a) :])


def _check_sibling_keys(keys):
    """Refuse sibling keys whose order could differ between Python and the database (see the module docstring)."""
    ordered = sorted(keys)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if not _collation_safe(a, b):
            raise ValueError(f"Sibling keys {a!r} and {b!r} may sort differently in the database.")


def _number_tree(root, *, tree_id, key, level_attr):
    """Number the tree depth-first as MPTT's rebuild does: siblings ordered by `key`, lft/rght from 1."""
    counter = 0

    def visit(node, depth):
        nonlocal counter
        counter += 1
        node.children.sort(key=lambda child: key(child.obj))
        _check_sibling_keys([key(child.obj) for child in node.children])
        obj = node.obj
        obj.tree_id = tree_id
        obj.lft = counter
        setattr(obj, level_attr, depth)
        for child in node.children:
            visit(child, depth + 1)
        counter += 1
        obj.rght = counter

    visit(root, 0)


def _walk(root):
    """Nodes in pre-order (parents before children)."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _bulk(model, objs, *, user):
    """bulk_create_with_history in chunks; returns the number of objects written."""
    for start in range(0, len(objs), CHUNK_SIZE):
        bulk_create_with_history(
            objs[start : start + CHUNK_SIZE],
            model,
            batch_size=BATCH_SIZE,
            default_user=user,
            default_change_reason=CHANGE_REASON,
        )
    return len(objs)


def municipality_name(slug):
    """The synthetic municipality's name; other slugs get their own (names are unique)."""
    return MUNICIPALITY_NAME if slug == DEFAULT_SLUG else f"Storstads kommun (syntetisk, {slug})"


class _Generator:
    def __init__(self, *, slug, organisations, goals, indicators, years, seed, user, progress):
        if organisations < 8:
            raise ValueError("Den syntetiska kommunen behöver minst 8 organisationer.")
        self.year = timezone.localdate().year
        if not 1 <= years <= self.year - 1990:
            raise ValueError(f"Ange mellan 1 och {self.year - 1990} år med utfall (utfallsår från 1990).")
        self.slug = slug
        self.n_organisations = organisations
        self.n_goals = goals
        self.n_indicators = indicators
        self.years = years
        self.rng = random.Random(seed)
        self.user = user if user is not None and user.is_authenticated else None
        self.progress = progress or (lambda step, count, seconds: None)
        self.counts = {}
        self.timings = {}
        self._parent_weights = {}
        self._clock = time.perf_counter()

    def _step(self, name, count):
        now = time.perf_counter()
        self.counts[name] = count
        self.timings[name] = round(now - self._clock, 3)
        self.progress(name, count, now - self._clock)
        self._clock = now

    # --- Organisations --------------------------------------------------------------------------------------------

    def _org(self, parent, *, kind, name, code, short_name=""):
        obj = Organisation(
            municipality=self.municipality,
            parent=parent.obj if parent else None,
            kind=kind,
            name=name,
            short_name=short_name,
            code=code,
            is_example=True,
        )
        return _Node(obj, parent)

    def build_organisations(self):
        n = self.n_organisations
        n_committees = min(len(COMMITTEES), max(2, n // 50))
        with_group = n >= 100  # a company group (Stadshus AB with two bolag), else a single bolag
        companies = COMPANIES if with_group else COMPANIES[:1]
        fixed = 2 + n_committees + (1 if with_group else 0) + len(companies) + 1 + n_committees
        if n < fixed:
            raise ValueError(f"Den syntetiska kommunen behöver minst {fixed} organisationer.")
        self.kf = self._org(None, kind=OrganisationKind.COUNCIL, name="Kommunfullmäktige", code="KF", short_name="KF")
        hosts = []  # (node, areas, weight): förvaltningar and bolag, which get verksamheter
        boards = [(EXECUTIVE_BOARD, OrganisationKind.EXECUTIVE_BOARD, "KS")] + [
            (spec, OrganisationKind.COMMITTEE, f"N{i:02d}") for i, spec in enumerate(COMMITTEES[:n_committees], 1)
        ]
        for i, ((name, short, administration, areas, weight), kind, code) in enumerate(boards, 1):
            board = self._org(self.kf, kind=kind, name=name, code=code, short_name=short)
            admin = self._org(
                board,
                kind=OrganisationKind.ADMINISTRATION,
                name=administration,
                code=f"F{i:02d}",
                short_name=f"{short}-förv",
            )
            hosts.append((admin, areas, weight))
        company_parent = self.kf
        if with_group:
            company_parent = self._org(
                self.kf,
                kind=OrganisationKind.COMPANY,
                name=HOLDING_COMPANY[0],
                code="B01",
                short_name=HOLDING_COMPANY[1],
            )
        for i, (name, short, areas, weight) in enumerate(companies, 2 if with_group else 1):
            company = self._org(
                company_parent, kind=OrganisationKind.COMPANY, name=name, code=f"B{i:02d}", short_name=short
            )
            hosts.append((company, areas, weight))

        rest = n - fixed
        n_departments = min(rest, max(len(hosts), round(rest / 6)))
        n_units = rest - n_departments
        per_host = _allocate(n_departments, [w for _h, _a, w in hosts], minimum=1 if n_departments >= len(hosts) else 0)
        width = max(3, len(str(n_departments)))
        departments = []
        for (host, areas, weight), count in zip(hosts, per_host, strict=True):
            for j in range(count):
                name = areas[j] if count <= len(areas) else f"{areas[j % len(areas)]} {j // len(areas) + 1:02d}"
                code = f"V{len(departments) + 1:0{width}d}"
                departments.append((self._org(host, kind=OrganisationKind.DEPARTMENT, name=name, code=code), weight))
        per_department = _allocate(
            n_units, [w for _d, w in departments], minimum=1 if n_units >= len(departments) else 0
        )
        width = max(4, len(str(n_units)))
        unit_number = 0
        for (department, _weight), count in zip(departments, per_department, strict=True):
            digits = max(2, len(str(count)))
            for k in range(1, count + 1):
                unit_number += 1
                self._org(
                    department,
                    kind=OrganisationKind.UNIT,
                    name=f"{department.obj.name} {k:0{digits}d}",
                    code=f"E{unit_number:0{width}d}",
                )
        tree_id = (Organisation.objects.aggregate(m=Max("tree_id"))["m"] or 0) + 1
        _number_tree(self.kf, tree_id=tree_id, key=lambda o: o.name, level_attr="level")
        self.org_nodes = list(_walk(self.kf))
        for index, node in enumerate(self.org_nodes):
            node.index = index
        assert len(self.org_nodes) == n, (len(self.org_nodes), n)
        # Parents first, level by level, so that every child's parent has its primary key when it is written.
        by_level = defaultdict(list)
        for node in self.org_nodes:
            by_level[node.obj.level].append(node)
        for level in sorted(by_level):
            for node in by_level[level]:
                if node.parent is not None:
                    node.obj.parent = node.parent.obj  # now saved: sets parent_id and keeps the cached instance
                node.obj.clean()
            _bulk(Organisation, [node.obj for node in by_level[level]], user=self.user)
        self._step("organisations", n)

    # --- Mandate period, värdegrund, plans ------------------------------------------------------------------------

    def build_plans(self):
        start = self.year - (self.year - 2023) % 4  # mandate periods start the year after an election (2022, 2026)
        self.period = MandatePeriod(
            municipality=self.municipality, start_year=start, end_year=start + 3, is_example=True
        )
        self.period.clean()
        _bulk(MandatePeriod, [self.period], user=self.user)
        values = [
            Value(municipality=self.municipality, name=name, description=text, position=i, is_example=True)
            for i, (name, text) in enumerate(VALUES)
        ]
        _bulk(Value, values, user=self.user)
        plans = []
        for paragraph, node in enumerate(self.org_nodes, 1):
            org = node.obj
            kind = PLAN_KIND_FOR_ORGANISATION[org.kind]
            body = next((n.obj for n in [node, *node.ancestors()] if n.obj.kind in GOVERNING_KINDS), self.kf.obj)
            if kind == PlanKind.STRATEGIC:
                plan = Plan(
                    organisation=org,
                    kind=kind,
                    mandate_period=self.period,
                    title=f"Strategisk plan {self.period}",
                    status=PlanStatus.ADOPTED,
                    decided_on=datetime.date(start - 1, 11, 20),
                )
            else:
                adopted = self.rng.random() < ADOPTED_SHARE
                plan = Plan(
                    organisation=org,
                    kind=kind,
                    year=self.year,
                    title=f"{PlanKind(kind).label} {self.year} {org.name}"[:200],
                    status=PlanStatus.ADOPTED if adopted else PlanStatus.DRAFT,
                    decided_on=datetime.date(self.year - 1, 12, 10) if adopted else None,
                )
            if plan.status == PlanStatus.ADOPTED:
                plan.decided_by = body
                plan.paragraph = str(paragraph % 300 + 1)
                plan.registration_number = f"Dnr {body.short_name or body.code} {plan.decided_on.year}/{paragraph}"
            plan.description = "Syntetisk plan för prestandamätning."
            plan.is_example = True
            plan.clean()
            node.plan = plan
            plans.append(plan)
        _bulk(Plan, plans, user=self.user)
        self._step("plans", len(plans))

    # --- The goal tree ---------------------------------------------------------------------------------------------

    def _goal(self, parent, org_node, **fields):
        org = org_node.obj
        obj = Goal(
            municipality=self.municipality,
            parent=parent.obj if parent else None,
            organisation=org,
            plan=org_node.plan if fields.get("kind") != GoalKind.VISION else None,
            is_example=True,
            **fields,
        )
        return _Node(obj, parent)

    def build_goals(self):
        rng = self.rng
        vision = self._goal(
            None,
            self.kf,
            kind=GoalKind.VISION,
            level=GoalLevel.VISION,
            code="VISION",
            title="Storstad – en växande kommun där alla kan leva ett gott liv",
            description="Syntetisk vision för prestandamätning.",
        )
        kf_goals = []
        for i, title in enumerate(DIRECTION_GOALS + FINANCIAL_GOALS, 1):
            kind = GoalKind.DIRECTION if i <= len(DIRECTION_GOALS) else GoalKind.FINANCIAL
            kf_goals.append(
                self._goal(
                    vision,
                    self.kf,
                    kind=kind,
                    level=GoalLevel.MUNICIPAL,
                    code=f"KF{i}",
                    title=title,
                    start_year=self.period.start_year,
                    end_year=self.period.end_year,
                )
            )
        self.kf.goals = kf_goals
        direction = [g for g in kf_goals if g.obj.kind == GoalKind.DIRECTION]
        financial = [g for g in kf_goals if g.obj.kind == GoalKind.FINANCIAL]

        orgs = self.org_nodes[1:]  # all but KF
        fixed = 1 + len(kf_goals)
        if self.n_goals < fixed + len(orgs):
            raise ValueError(f"Ange minst {fixed + len(orgs)} mål: ett per organisation utöver vision och KF-mål.")
        weights = [{GoalLevel.COMMITTEE: 8, GoalLevel.OPERATIONAL: 8, GoalLevel.UNIT: 10}[self._level(o)] for o in orgs]
        # Each nämnd and bolag covers the four perspectives (so every KF goal gets nämndmål) when the size allows.
        minimums = [4 if self._level(o) == GoalLevel.COMMITTEE else 1 for o in orgs]
        if sum(minimums) > self.n_goals - fixed:
            minimums = [1] * len(orgs)
        budget = min(self.n_goals - fixed, max(sum(minimums), round(self.n_goals * GOAL_SHARE)))
        per_org = _allocate(budget, weights, minimum=minimums)
        rotation = {id(financial): 0, id(direction): 0}  # round robin over the KF goals of each kind
        code_counter = defaultdict(int)
        perspectives = list(Perspective)

        def code_for(org_node, prefix="", width=2):
            code_counter[(org_node.obj.code, prefix)] += 1
            return f"{org_node.obj.code}.{prefix}{code_counter[(org_node.obj.code, prefix)]:0{width}d}"

        # Orgs are in pre-order, so an organisation's goals exist before those of the organisations below it.
        for org_node, count in zip(orgs, per_org, strict=True):
            level = self._level(org_node)
            width = max(2, len(str(count)))
            if level == GoalLevel.COMMITTEE:
                for i in range(count):
                    perspective = perspectives[(i + org_node.index) % 4]
                    pool = financial if perspective == Perspective.ECONOMY else direction
                    parent = pool[rotation[id(pool)] % len(pool)]
                    rotation[id(pool)] += 1
                    org_node.goals.append(self._goal_node(parent, org_node, perspective, code_for(org_node, "", width)))
            else:
                owner = next(a for a in org_node.ancestors() if self._level(a) < level and a.goals)
                for parent in self._parents(owner, count):
                    node = self._goal_node(parent, org_node, parent.obj.perspective, code_for(org_node, "", width))
                    org_node.goals.append(node)

        # Activities fill the tree up to the requested size, weighted towards the units.
        goal_nodes = [g for o in orgs for g in o.goals]
        n_activities = self.n_goals - fixed - len(goal_nodes)
        level_weight = {GoalLevel.COMMITTEE: 1, GoalLevel.OPERATIONAL: 2, GoalLevel.UNIT: 3}
        per_goal = _allocate(n_activities, [level_weight[g.obj.level] * rng.uniform(0.5, 1.5) for g in goal_nodes])
        activity_counts = defaultdict(int)
        for goal_node, count in zip(goal_nodes, per_goal, strict=True):
            activity_counts[goal_node.obj.organisation.code] += count
        org_by_code = {o.obj.code: o for o in orgs}
        statuses, status_weights = zip(*ACTIVITY_STATUSES, strict=True)
        for goal_node, count in zip(goal_nodes, per_goal, strict=True):
            org_node = org_by_code[goal_node.obj.organisation.code]
            width = max(2, len(str(activity_counts[org_node.obj.code])))
            for _ in range(count):
                start = datetime.date(self.year, rng.randint(1, 9), 1)
                end = min(start + datetime.timedelta(days=rng.randint(30, 150)), datetime.date(self.year, 12, 31))
                self._goal(
                    goal_node,
                    org_node,
                    kind=GoalKind.ACTIVITY,
                    level=goal_node.obj.level,
                    code=code_for(org_node, "A", width),
                    title=f"{rng.choice(ACTIVITY_VERBS)} {rng.choice(ACTIVITY_OBJECTS)}",
                    responsible=f"{ACTIVITY_RESPONSIBLE[org_node.obj.kind]}, {org_node.obj.name}"[:200],
                    start_date=start,
                    end_date=end,
                    activity_status=rng.choices(statuses, weights=status_weights)[0],
                )

        tree_id = (Goal.objects.aggregate(m=Max("tree_id"))["m"] or 0) + 1
        _number_tree(vision, tree_id=tree_id, key=lambda g: g.code, level_attr="depth")
        nodes = list(_walk(vision))
        assert len(nodes) == self.n_goals, (len(nodes), self.n_goals)
        by_depth = defaultdict(list)
        for node in nodes:
            by_depth[node.obj.depth].append(node)
        for depth in sorted(by_depth):
            for node in by_depth[depth]:
                if node.parent is not None:
                    node.obj.parent = node.parent.obj  # now saved: sets parent_id and keeps the cached instance
                node.obj.clean()
            _bulk(Goal, [node.obj for node in by_depth[depth]], user=self.user)
        self.vision = vision
        self.kf_goal_nodes = kf_goals
        self.goal_nodes = goal_nodes
        self.counts["activities"] = n_activities
        self._step("goals", len(nodes))
        self._link_goals(kf_goals, direction)

    def _parents(self, owner, count):
        """`count` parents among the owner's goals, skewed as in real plans (a few goals gather most of the
        refinements below them): Zipf weights in a per-owner random order, so that some goals have many children."""
        weights = self._parent_weights.get(id(owner))
        if weights is None:
            weights = [1 / (k + 1) for k in range(len(owner.goals))]
            self.rng.shuffle(weights)
            self._parent_weights[id(owner)] = weights
        return self.rng.choices(owner.goals, weights=weights, k=count)

    def _level(self, org_node):
        return LEVEL_FOR_ORGANISATION[org_node.obj.kind]

    def _goal_node(self, parent, org_node, perspective, code):
        return self._goal(
            parent,
            org_node,
            kind=GoalKind.GOAL,
            level=self._level(org_node),
            code=code,
            title=self.rng.choice(GOAL_TITLES[perspective]),
            perspective=perspective,
            start_year=self.year,
            end_year=self.year,
            child_rights=org_node.obj.code in ("N01", "N03") and self.rng.random() < 0.5,
        )

    def _link_goals(self, kf_goals, direction):
        """Agenda 2030 goals for the KF goals and nämndmål; some nämndmål also contribute to a second KF goal."""
        sdg_ids = list(SdgGoal.objects.order_by("number").values_list("pk", flat=True))
        sdg_links = []
        contributions = []
        committee_goals = [g for g in self.goal_nodes if g.obj.level == GoalLevel.COMMITTEE]
        if sdg_ids:
            for i, node in enumerate(kf_goals):
                for k in range(2):
                    sdg_links.append((node.obj.pk, sdg_ids[(2 * i + k) % len(sdg_ids)]))
            for node in committee_goals:
                sdg_links.append((node.obj.pk, self.rng.choice(sdg_ids)))
        for i, node in enumerate(committee_goals):
            if i % 3 == 0 and node.obj.perspective != Perspective.ECONOMY and len(direction) > 1:
                others = [g for g in direction if g.obj.pk != node.obj.parent_id]
                contributions.append((node.obj.pk, others[i % len(others)].obj.pk))
        SdgThrough = Goal.sdg_goals.through
        SdgThrough.objects.bulk_create(
            [SdgThrough(goal_id=g, sdggoal_id=s) for g, s in sdg_links], batch_size=BATCH_SIZE
        )
        ContributesThrough = Goal.contributes_to.through
        ContributesThrough.objects.bulk_create(
            [ContributesThrough(from_goal_id=a, to_goal_id=b) for a, b in contributions], batch_size=BATCH_SIZE
        )
        self._step("links", len(sdg_links) + len(contributions))

    # --- Indicators, targets, outcomes -----------------------------------------------------------------------------

    def build_indicators(self):
        rng = self.rng
        measured = list(self.kf_goal_nodes) + self.goal_nodes
        capacity = INDICATORS_PER_GOAL_MAX * len(measured)
        if self.n_indicators > capacity:
            raise ValueError(f"Högst {capacity} indikatorer ryms ({INDICATORS_PER_GOAL_MAX} per mål).")
        # KF goals are measured first, then one verksamhetsmål and one enhetsmål (so that every level has an
        # indicator), then the nämndmål; the rest spreads over verksamhets- and enhetsmål.
        per_goal = defaultdict(int)
        remaining = self.n_indicators
        for node in measured:
            if remaining and node.obj.level == GoalLevel.MUNICIPAL:
                per_goal[id(node)] = min(3, remaining)
                remaining -= per_goal[id(node)]
        for level in (GoalLevel.OPERATIONAL, GoalLevel.UNIT):
            node = next((n for n in measured if n.obj.level == level), None)
            if remaining and node is not None:
                per_goal[id(node)] += 1
                remaining -= 1
        for node in measured:
            if remaining and node.obj.level == GoalLevel.COMMITTEE:
                per_goal[id(node)] = min(2, remaining)
                remaining -= per_goal[id(node)]
        slots = [node for node in measured for _ in range(INDICATORS_PER_GOAL_MAX - per_goal[id(node)])]
        for node in rng.sample(slots, remaining):
            per_goal[id(node)] += 1

        indicators = []
        series = {}  # id(indicator) -> yearly outcome values: a noisy trend; the first one is the baseline
        first_year = self.year - self.years
        for node in measured:
            goal = node.obj
            perspective = goal.perspective or (
                Perspective.ECONOMY if goal.kind == GoalKind.FINANCIAL else Perspective.CITIZENS
            )
            catalogue = INDICATORS[perspective]
            # Consecutive entries from a random start: a goal's indicators have different names (goal + name is
            # unique, the import matches on it), and every catalogue holds at least INDICATORS_PER_GOAL_MAX entries.
            start = rng.randrange(len(catalogue))
            for k in range(per_goal[id(node)]):
                name, unit, direction, typical = catalogue[(start + k) % len(catalogue)]
                values = self._series(typical, unit, direction)
                indicator = Indicator(
                    goal=goal,
                    name=name,
                    unit=unit,
                    direction=direction,
                    description="Syntetisk indikator för prestandamätning.",
                    source="Syntetiska data",
                    baseline_value=values[0],
                    baseline_year=first_year,
                    by_sex=rng.random() < 0.2,
                    is_example=True,
                )
                indicator.clean()
                series[id(indicator)] = values
                indicators.append(indicator)
        _bulk(Indicator, indicators, user=self.user)
        self._step("indicators", len(indicators))

        targets = []
        outcomes = []
        for indicator in indicators:
            values = series[id(indicator)]
            sign = 1 if indicator.direction == Direction.INCREASE else -1
            for offset, value in enumerate(values):
                year = first_year + offset
                target = value * (1 + Decimal("0.02") * sign * Decimal(rng.choice((1, 2))))
                if indicator.unit == "%":
                    target = min(target, Decimal(100))
                targets.append(
                    Target(indicator=indicator, year=year, value=target.quantize(Decimal("0.01")), is_example=True)
                )
                outcome = Outcome(
                    indicator=indicator, year=year, period=OutcomePeriod.YEAR, value=value, is_example=True
                )
                if indicator.by_sex:
                    spread = value * Decimal("0.04")
                    outcome.value_women = (value + spread).quantize(Decimal("0.01"))
                    outcome.value_men = (value - spread).quantize(Decimal("0.01"))
                outcomes.append(outcome)
            last = values[-1]
            targets.append(
                Target(
                    indicator=indicator,
                    year=self.year,
                    value=(last * (1 + Decimal("0.03") * sign)).quantize(Decimal("0.01")),
                    is_example=True,
                )
            )
        _bulk(Target, targets, user=self.user)
        self._step("targets", len(targets))
        _bulk(Outcome, outcomes, user=self.user)
        self._step("outcomes", len(outcomes))

    def _series(self, typical, unit, direction):
        """`years` yearly values drifting in the better direction with noise, two decimals (percentages capped)."""
        value = Decimal(typical) * Decimal(str(self.rng.uniform(0.8, 1.2)))
        sign = 1 if direction == Direction.INCREASE else -1
        values = []
        for _ in range(self.years):
            value = max(Decimal(0), value * (1 + Decimal(str(self.rng.uniform(-0.03, 0.05))) * sign))
            if unit == "%":
                value = min(value, Decimal(100))
            values.append(value.quantize(Decimal("0.01")))
        return values

    def run(self):
        started = time.perf_counter()
        self.municipality = object_save(
            Municipality(name=municipality_name(self.slug), slug=self.slug, is_example=True),
            user=self.user,
            reason=CHANGE_REASON,
        )
        self.build_organisations()
        self.build_plans()
        self.build_goals()
        self.build_indicators()
        problems = verify_municipality(self.municipality)
        if problems:
            raise AssertionError("Inconsistent synthetic trees: " + "; ".join(problems))
        self.timings["verify"] = round(time.perf_counter() - self._clock, 3)
        return {
            "municipality_id": self.municipality.pk,
            "slug": self.slug,
            "name": self.municipality.name,
            "year": self.year,
            **self.counts,
            "seconds": self.timings,
            "total_seconds": round(time.perf_counter() - started, 3),
        }


def generate_municipality(
    *,
    slug=DEFAULT_SLUG,
    organisations=600,
    goals=50_000,
    indicators=6_000,
    years=10,
    seed=1,
    user=None,
    progress=None,
):
    """Generate a synthetic municipality in one transaction and return a summary (counts and seconds per step).

    `progress(step, count, seconds)` is called after each step. Raises ValueError (Swedish message) for sizes that
    cannot form a valid tree; the slug must be free (see `delete_municipality`).
    """
    generator = _Generator(
        slug=slug,
        organisations=organisations,
        goals=goals,
        indicators=indicators,
        years=years,
        seed=seed,
        user=user,
        progress=progress,
    )
    with transaction.atomic():
        return generator.run()


def analyze():
    """Refresh the planner statistics of the tables the generator fills (after the commit).

    Right after a bulk load PostgreSQL plans with empty statistics until autovacuum gets to the tables, which made the
    filtered goal chain three times slower in the benchmark; SQLite gains too. Seconds at most.
    """
    models = [Organisation, Plan, Goal, Indicator, Target, Outcome]
    tables = [model._meta.db_table for model in models]
    tables += [model.history.model._meta.db_table for model in models]
    tables += [Goal.sdg_goals.through._meta.db_table, Goal.contributes_to.through._meta.db_table]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


# --- Verification ----------------------------------------------------------------------------------------------------


def verify_tree(queryset, *, level_attr, key, limit=10):
    """Check the stored MPTT numbering of one tree against its parent links; returns a list of problems.

    One query. The numbering must be exactly a depth-first walk from 1 with siblings ordered by `key` (what
    `partial_rebuild` produces), the level one more than the parent's, and one root.
    """
    rows = list(queryset.order_by("lft").values_list("pk", "parent_id", "tree_id", "lft", "rght", level_attr, key))
    problems = []
    children = defaultdict(list)
    roots = []
    for row in rows:
        (children[row[1]] if row[1] is not None else roots).append(row)
    if len(roots) != 1:
        return [f"expected one root, found {len(roots)}"]
    if len({row[2] for row in rows}) != 1:
        problems.append("more than one tree_id")
    counter = 0
    seen = 0

    def visit(row, depth):
        nonlocal counter, seen
        pk, _parent, _tree, lft, rght, level, _key = row
        seen += 1
        counter += 1
        if lft != counter or level != depth:
            problems.append(f"{pk}: lft {lft}/level {level}, expected {counter}/{depth}")
        keys = [child[6] for child in children[pk]]
        if keys != sorted(keys):
            problems.append(f"{pk}: children not in {key} order")
        for child in children[pk]:
            if len(problems) < limit:
                visit(child, depth + 1)
        counter += 1
        if rght != counter:
            problems.append(f"{pk}: rght {rght}, expected {counter}")

    visit(roots[0], 0)
    if not problems and seen != len(rows):
        problems.append(f"{len(rows) - seen} nodes are not reachable from the root")
    return problems[:limit]


def verify_municipality(municipality):
    """Verify the organisation tree and the goal tree of a municipality (two queries); returns the problems."""
    problems = verify_tree(Organisation.objects.filter(municipality=municipality), level_attr="level", key="name")
    problems += verify_tree(Goal.objects.filter(municipality=municipality), level_attr="depth", key="code")
    return problems


# --- Removal -------------------------------------------------------------------------------------------------------


def _history(model):
    return model.history.model


def delete_municipality(municipality):
    """Remove a (synthetic) municipality with everything in it and the history of its objects, in one transaction.

    Children before parents: goal links, outcomes, targets, indicators, goals, plans, the municipality's other
    objects, organisations, the municipality. The generated rows go with a raw DELETE per table (no per-row
    signals: 50,000 goals would otherwise take minutes), and their history with them, since a synthetic
    municipality's history is no one's audit trail. Rows of other apps that point into the municipality are deleted
    through the ORM first (with their history); if one is protected the whole removal is refused (ValueError).
    Returns the number of live rows deleted.
    """
    from django.db import router
    from django.db.models import ProtectedError

    m = municipality
    org_ids = Organisation.objects.filter(municipality=m).values("pk")
    goal_ids = Goal.objects.filter(municipality=m).values("pk")
    indicator_ids = Indicator.objects.filter(goal__municipality=m).values("pk")
    # (model, the rows of the municipality) in deletion order.
    plan = [
        (Goal.contributes_to.through, Q(from_goal__in=goal_ids) | Q(to_goal__in=goal_ids)),
        (Goal.sdg_goals.through, Q(goal__in=goal_ids)),
        (Goal.sdg_targets.through, Q(goal__in=goal_ids)),
        (Goal.documents.through, Q(goal__in=goal_ids) | Q(steeringdocument__municipality=m)),
        (Outcome, Q(indicator__in=indicator_ids)),
        (Target, Q(indicator__in=indicator_ids)),
        (Indicator, Q(pk__in=indicator_ids)),
        (Goal, Q(municipality=m)),
        (Plan, Q(organisation__in=org_ids)),
        (Value, Q(municipality=m)),
        (SteeringDocument, Q(municipality=m)),
        (Membership, Q(organisation__in=org_ids)),
        (MandatePeriod, Q(municipality=m)),
        (Organisation, Q(municipality=m)),
        (Municipality, Q(pk=m.pk)),
    ]
    handled = {model for model, _q in plan}
    with transaction.atomic():
        # Foreign rows first (assignments, budget frames, reports ... added by other apps).
        for model, condition in plan:
            for relation in model._meta.get_fields(include_hidden=True):
                if not (
                    relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)
                ):
                    continue
                related = relation.related_model
                if related in handled or hasattr(related, "instance_type"):  # instance_type: a history model
                    continue
                targets = model.objects.filter(condition).values("pk")
                foreign = related._default_manager.filter(**{f"{relation.field.name}__in": targets})
                try:
                    foreign.delete()
                except ProtectedError as exc:
                    raise ValueError(
                        f"Kommunen {m} har data i {related._meta.verbose_name_plural} som inte kan tas bort: {exc}"
                    ) from exc
        # History of the generated objects (history tables keep ids without foreign keys).
        h_goal = _history(Goal).objects.filter(municipality_id=m.pk)
        h_org = _history(Organisation).objects.filter(municipality_id=m.pk)
        h_indicator = _history(Indicator).objects.filter(goal_id__in=h_goal.values("id"))
        using = router.db_for_write(Goal)
        for history_qs in (
            _history(Outcome).objects.filter(indicator_id__in=h_indicator.values("id")),
            _history(Target).objects.filter(indicator_id__in=h_indicator.values("id")),
            h_indicator,
            _history(Plan).objects.filter(organisation_id__in=h_org.values("id")),
            _history(Value).objects.filter(municipality_id=m.pk),
            _history(SteeringDocument).objects.filter(municipality_id=m.pk),
            _history(Membership).objects.filter(organisation_id__in=h_org.values("id")),
            _history(MandatePeriod).objects.filter(municipality_id=m.pk),
            h_goal,
            h_org,
            _history(Municipality).objects.filter(id=m.pk),
        ):
            history_qs._raw_delete(using)
        deleted = 0
        for model, condition in plan:
            # _raw_delete: one DELETE ... WHERE per table, without collecting rows or sending signals.
            deleted += model.objects.filter(condition)._raw_delete(using)
    return deleted
