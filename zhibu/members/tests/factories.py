from datetime import date

import factory

from zhibu.members import services
from zhibu.members.models import Member
from zhibu.members.validators import birth_date_from_id, gender_from_id, id_check_digit
from zhibu.orgs.tests.factories import OrganizationFactory


def make_id_number(n: int, birth: date = date(1980, 1, 1)) -> str:
    first17 = f"110101{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_digit(first17)


class MemberFactory(factory.Factory):
    """Builds members through member_create so tenures are always written."""

    class Meta:
        model = Member

    name = factory.Sequence(lambda n: f"党员{n}")
    id_number = factory.Sequence(lambda n: make_id_number(n, date(1970 + n // 1000 % 40, 1, 1)))
    # Birth date and gender as the ID number says, or member_create refuses the record.
    gender = factory.LazyAttribute(lambda o: gender_from_id(o.id_number) if o.id_number else "male")
    birth_date = factory.LazyAttribute(
        lambda o: birth_date_from_id(o.id_number) if o.id_number else date(1980, 1, 1)
    )
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    join_date = date(2010, 7, 1)
    status = "full_member"
    full_member_date = factory.LazyAttribute(
        lambda o: (
            o.join_date.replace(year=o.join_date.year + 1) if o.status == "full_member" else None
        )
    )
    branch = factory.SubFactory(OrganizationFactory)

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.member_create(**kwargs)
