# Reward's foreign keys follow CouponList and Coupon to the coupons app. State only: the columns
# and their constraints point at the same tables as before (coupons/migrations/0001_initial.py).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("coupons", "0001_initial"),
        ("rewards", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="reward",
                    name="coupon",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="rewards",
                        to="coupons.coupon",
                    ),
                ),
                migrations.AlterField(
                    model_name="reward",
                    name="coupon_list",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="coupons.couponlist",
                    ),
                ),
            ],
        ),
    ]
