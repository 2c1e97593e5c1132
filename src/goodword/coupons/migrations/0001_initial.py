# Coupon lists and coupons move here from the campaigns app. Their tables stay where they are
# (campaigns_couponlist, campaigns_coupon, with every row, index and constraint): this migration
# only tells Django's state that the models now belong to this app. campaigns' 0003 removes them
# from campaigns' state, after rewards' 0002 has pointed Reward's foreign keys here.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("campaigns", "0002_coupon_usages_coupon_used_at"),
        ("sites", "0002_fraudsettings_sitesettings_blocklistentry"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="CouponList",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("identifier", models.CharField(max_length=100)),
                        ("name", models.CharField(blank=True, default="", max_length=200)),
                        ("static_code", models.CharField(blank=True, max_length=255, null=True)),
                        ("created_at", models.DateTimeField()),
                        (
                            "site",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="coupon_lists",
                                to="sites.site",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "campaigns_couponlist",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("site", "identifier"),
                                name="couponlist_site_identifier_uniq",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Coupon",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("code", models.CharField(max_length=255)),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("usages", models.PositiveIntegerField(default=0)),
                        ("used_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField()),
                        (
                            "site",
                            models.ForeignKey(
                                db_index=False,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="coupons",
                                to="sites.site",
                            ),
                        ),
                        (
                            "coupon_list",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="coupons",
                                to="coupons.couponlist",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "campaigns_coupon",
                        "indexes": [
                            models.Index(
                                condition=models.Q(("claimed_at__isnull", True)),
                                fields=["coupon_list", "id"],
                                name="coupon_unclaimed_idx",
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("site", "code"), name="coupon_site_code_uniq"
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
