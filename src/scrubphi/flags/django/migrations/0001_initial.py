"""The unmanaged Flag model: no table, only its permissions."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import migrations, models  # type: ignore[import-untyped]


class Migration(migrations.Migration):  # type: ignore[misc]
    initial = True

    dependencies: ClassVar[list[tuple[str, str]]] = []

    operations: ClassVar[list[Any]] = [
        migrations.CreateModel(
            name="Flag",
            fields=[
                ("name", models.CharField(max_length=200, primary_key=True, serialize=False)),
            ],
            options={
                "verbose_name": "flag and rollout plan",
                "verbose_name_plural": "flags and rollout plans",
                "permissions": [("move_rollout", "Can move and stop rollout plans")],
                "managed": False,
                "default_permissions": ("view",),
            },
        ),
    ]
