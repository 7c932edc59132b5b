import factory

from zhibu.accounts.models import User
from zhibu.orgs import services
from zhibu.orgs.models import Grant, Organization, OrgKind


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-1234")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class OrganizationFactory(factory.Factory):
    """Builds organizations through org_create so paths are always right."""

    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"第{n}党支部")
    kind = OrgKind.BRANCH
    parent = None
    category = "organ"

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.org_create(**kwargs)


class GrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grant

    user = factory.SubFactory(UserFactory)
    org = factory.SubFactory(OrganizationFactory)
    role = "org_admin"
