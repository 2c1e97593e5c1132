"""Indexes for the portal's queues and dashboard, beside the reads that need them (as 0002).

- A queue lists a site's referrals in one status by the time they entered it, oldest waiting
  first (flagged, pending, blocked) or newest first (approvals, voids), a page at a time from a
  keyset cursor: (site_id, status, updated_at, id) serves each page as one index range.
- The dashboard counts the origins a site received today: (site_id, created_at).
The SQL is the same on SQLite and PostgreSQL."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_delivery_subject_index"),
        ("referrals", "0001_initial"),
        ("origins", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS portal_referral_queue_idx "
                "ON referrals_referral (site_id, status, updated_at, id)"
            ),
            reverse_sql="DROP INDEX IF EXISTS portal_referral_queue_idx",
        ),
        migrations.RunSQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS portal_origin_created_idx "
                "ON origins_origin (site_id, created_at)"
            ),
            reverse_sql="DROP INDEX IF EXISTS portal_origin_created_idx",
        ),
    ]
