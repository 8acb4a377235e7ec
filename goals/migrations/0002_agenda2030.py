"""Load Agenda 2030 (17 goals, 169 targets) as reference data shared by every municipality."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "agenda2030.json"


def load(apps, schema_editor):
    SdgGoal = apps.get_model("goals", "SdgGoal")
    SdgTarget = apps.get_model("goals", "SdgTarget")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    for goal in data["goals"]:
        sdg, _created = SdgGoal.objects.update_or_create(
            number=goal["number"], defaults={"name": goal["name"], "color": goal["color"]}
        )
        for position, target in enumerate(goal["targets"], start=1):
            SdgTarget.objects.update_or_create(
                code=target["code"], defaults={"goal": sdg, "title": target["title"], "position": position}
            )


def unload(apps, schema_editor):
    apps.get_model("goals", "SdgTarget").objects.all().delete()
    apps.get_model("goals", "SdgGoal").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("goals", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
