from django.db import migrations


def load(apps, schema_editor):
    from kezek.geo.services import geo_sync

    geo_sync(region_model=apps.get_model("geo", "Region"), district_model=apps.get_model("geo", "District"))


class Migration(migrations.Migration):
    dependencies = [("geo", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
