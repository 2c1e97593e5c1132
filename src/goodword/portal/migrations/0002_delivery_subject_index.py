"""An index for the portal's "webhook deliveries about this person/referral" lists, which read
deliveries of every state by subject. The webhooks app indexes only pending ones by subject (for
ordering), so the index lives here, beside the reads that need it; the SQL is the same on SQLite
and PostgreSQL."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("webhooks", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS portal_delivery_subject_idx "
                "ON webhooks_delivery (site_id, subject, id)"
            ),
            reverse_sql="DROP INDEX IF EXISTS portal_delivery_subject_idx",
        ),
    ]
