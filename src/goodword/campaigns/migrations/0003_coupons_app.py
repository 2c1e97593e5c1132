# CouponList and Coupon now belong to the coupons app (coupons/migrations/0001_initial.py):
# Incentive's foreign key follows them, and they leave campaigns' state. Nothing changes in the
# database tables. Their content types are renamed too, so permissions granted on them and admin
# history stay attached.

import django.db.models.deletion
from django.db import migrations, models

MOVED = ("coupon", "couponlist")


def _relabel(apps, schema_editor, source, target):
    content_type = apps.get_model("contenttypes", "ContentType")
    rows = content_type.objects.using(schema_editor.connection.alias)
    for model in MOVED:
        if not rows.filter(app_label=target, model=model).exists():
            rows.filter(app_label=source, model=model).update(app_label=target)


def forwards(apps, schema_editor):
    _relabel(apps, schema_editor, "campaigns", "coupons")


def backwards(apps, schema_editor):
    _relabel(apps, schema_editor, "coupons", "campaigns")


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0002_coupon_usages_coupon_used_at"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("coupons", "0001_initial"),
        ("rewards", "0002_coupons_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="incentive",
                    name="coupon_list",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="incentives",
                        to="coupons.couponlist",
                    ),
                ),
                migrations.DeleteModel(name="Coupon"),
                migrations.DeleteModel(name="CouponList"),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
