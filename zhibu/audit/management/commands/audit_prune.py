from django.core.management.base import BaseCommand

from zhibu.audit.services import prune, retention_days


class Command(BaseCommand):
    help = "Remove audit rows older than ZHIBU_AUDIT_RETENTION_DAYS (at least 183 days)."

    def handle(self, *args, **options) -> None:
        removed = prune()
        self.stdout.write(f"Removed {removed} audit rows older than {retention_days()} days.")
