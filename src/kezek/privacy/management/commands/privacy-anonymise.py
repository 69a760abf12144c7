"""``kezek privacy-anonymise --person ID --reason TEXT``: erase a person and their children by anonymisation."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kezek.domain.privacy import PersonHasLiveRecords
from kezek.people.models import Person
from kezek.privacy.services import person_anonymise


class Command(BaseCommand):
    help = ("Anonymise a person and their children: refused while anything of theirs is live; a second run changes "
            "nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--person", type=int, required=True, help="The person's id (people.Person)")
        parser.add_argument("--reason", required=True, help="Why (kept in the audit trail), e.g. the request's number")

    def handle(self, *args, person: int, reason: str, **options):
        found = Person.objects.filter(pk=person).first()
        if found is None:
            raise CommandError(f"no person with id {person}")
        if not reason.strip():
            raise CommandError("--reason must not be empty")
        try:
            result = person_anonymise(person=found, requested_by=None, reason=reason)
        except PersonHasLiveRecords as exc:
            raise CommandError(f"refused: still live: {'; '.join(exc.items)}") from None
        if not result.changed:
            self.stdout.write(f"Person {person} was already anonymised; nothing changed.")
            return
        self.stdout.write(f"Anonymised people {', '.join(map(str, result.people))}.")
        for kind, count in sorted(result.removed.items()):
            self.stdout.write(f"  {kind:<22} {count}")
