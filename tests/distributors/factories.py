"""Factories for distributors: every distributor is enrolled through the service."""

import factory

from distributors.models import Distributor
from distributors.services.enrollment import distributor_enroll


class DistributorFactory(factory.Factory):
    class Meta:
        model = Distributor

    first_name = factory.Faker("first_name", locale="nl_NL")
    last_name = factory.Faker("last_name", locale="nl_NL")
    email = factory.Sequence(lambda n: f"distributor{n}@example.nl")
    sponsor = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return distributor_enroll(**kwargs)


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "auth.User"
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True
