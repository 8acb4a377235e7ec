"""Choices of the shared core."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    COUNCIL = "council", _("Kommunfullmäktige")
    EXECUTIVE_BOARD = "executive_board", _("Kommunstyrelse")
    COMMITTEE = "committee", _("Nämnd")
    COMPANY = "company", _("Bolag")
    ADMINISTRATION = "administration", _("Förvaltning")
    DEPARTMENT = "department", _("Verksamhet")
    UNIT = "unit", _("Enhet")


# Which kinds may sit directly under which (DESIGN: KF at the root; KS, nämnder and the company group under it;
# förvaltning, verksamheter and enheter under each nämnd; Förvaltnings AB → bolag).
ALLOWED_CHILD_KINDS = {
    OrganisationKind.COUNCIL: {OrganisationKind.EXECUTIVE_BOARD, OrganisationKind.COMMITTEE, OrganisationKind.COMPANY},
    OrganisationKind.EXECUTIVE_BOARD: {
        OrganisationKind.ADMINISTRATION,
        OrganisationKind.DEPARTMENT,
        OrganisationKind.UNIT,
    },
    OrganisationKind.COMMITTEE: {OrganisationKind.ADMINISTRATION, OrganisationKind.DEPARTMENT, OrganisationKind.UNIT},
    OrganisationKind.COMPANY: {OrganisationKind.COMPANY, OrganisationKind.DEPARTMENT, OrganisationKind.UNIT},
    OrganisationKind.ADMINISTRATION: {OrganisationKind.DEPARTMENT, OrganisationKind.UNIT},
    OrganisationKind.DEPARTMENT: {OrganisationKind.DEPARTMENT, OrganisationKind.UNIT},
    OrganisationKind.UNIT: set(),
}


class Role(models.TextChoices):
    EDITOR = "editor", _("Redaktör (tjänsteperson)")
    REVIEWER = "reviewer", _("Granskare (förtroendevald)")
    ADMIN = "admin", _("Administratör")


class DocumentKind(models.TextChoices):
    PROGRAM = "program", _("Program")
    PLAN = "plan", _("Plan")
    STRATEGY = "strategy", _("Strategi")
    POLICY = "policy", _("Policy")
    GUIDELINE = "guideline", _("Riktlinje")
    REGULATION = "regulation", _("Reglemente")
    DELEGATION = "delegation", _("Delegationsordning")
    ARTICLES = "articles", _("Bolagsordning")
    OWNER_DIRECTIVE = "owner_directive", _("Ägardirektiv")


class DocumentGroup(models.TextChoices):
    ACTIVATING = "activating", _("Aktiverande")
    NORMATIVE = "normative", _("Normerande")
    OTHER = "other", _("Övriga")


DOCUMENT_GROUPS = {
    DocumentKind.PROGRAM: DocumentGroup.ACTIVATING,
    DocumentKind.PLAN: DocumentGroup.ACTIVATING,
    DocumentKind.STRATEGY: DocumentGroup.ACTIVATING,
    DocumentKind.POLICY: DocumentGroup.NORMATIVE,
    DocumentKind.GUIDELINE: DocumentGroup.NORMATIVE,
    DocumentKind.REGULATION: DocumentGroup.OTHER,
    DocumentKind.DELEGATION: DocumentGroup.OTHER,
    DocumentKind.ARTICLES: DocumentGroup.OTHER,
    DocumentKind.OWNER_DIRECTIVE: DocumentGroup.OTHER,
}


def document_kinds_in_group(group):
    """The document kinds that belong to a group (aktiverande, normerande, övriga)."""
    return [kind for kind, kind_group in DOCUMENT_GROUPS.items() if kind_group == group]
