from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The database cache stands in for Redis when REDIS_URL is unset; it must exist either way,
    # so that a deployment can drop Redis without another step.
    from django.core.management.commands.createcachetable import Command

    command = Command()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, "kezek_cache", dry_run=False)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS kezek_cache")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
