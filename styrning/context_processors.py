"""Template context shared by every page: the municipality being viewed and the user's other municipalities."""

from .models import Municipality
from .permissions import VIEW, restrict


def navigation(request):
    """The current municipality (from the URL, else the user's only one) for the header and menu.

    One query for a logged-in user; none for anonymous requests.
    """
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"nav_municipality": None, "nav_municipalities": []}
    slug = (
        request.resolver_match.kwargs.get("municipality") if request.resolver_match else None
    ) or request.session.get("municipality")
    municipalities = list(restrict(Municipality.objects.all(), request.user, VIEW))
    current = next((m for m in municipalities if m.slug == slug), None)
    if current is None and len(municipalities) == 1:
        current = municipalities[0]
    if current is not None and request.session.get("municipality") != current.slug:
        request.session["municipality"] = current.slug
    return {"nav_municipality": current, "nav_municipalities": municipalities}
