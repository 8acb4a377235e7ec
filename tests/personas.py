"""The personas of the permission matrices (tests/conftest.py's world) and what a page that anyone of the
municipality may read answers each of them."""

PERSONAS = ("anonymous", "foreigner", "outsider", "colleague", "politician", "official", "admin")

# Login for the anonymous, 404 for another municipality's editor, the page for everyone of the municipality.
READ = {
    "anonymous": 302,
    "foreigner": 404,
    "outsider": 200,
    "colleague": 200,
    "politician": 200,
    "official": 200,
    "admin": 200,
}


def client_for(client, world, persona):
    """The test client logged in as the persona of `world` (not at all for the anonymous)."""
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    return client
