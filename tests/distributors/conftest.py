import pytest

from .factories import DistributorFactory, StaffFactory


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def network(db):
    """root ─ anna ─ bram ─ cor
    │      └ dirk
    └ eva ─ fenna
    """
    root = DistributorFactory(first_name="Root", last_name="Company")
    anna = DistributorFactory(sponsor=root, first_name="Anna", last_name="de Vries")
    eva = DistributorFactory(sponsor=root, first_name="Eva", last_name="Jansen")
    bram = DistributorFactory(sponsor=anna, first_name="Bram", last_name="Bakker")
    dirk = DistributorFactory(sponsor=anna, first_name="Dirk", last_name="Visser")
    cor = DistributorFactory(sponsor=bram, first_name="Cor", last_name="Smit")
    fenna = DistributorFactory(sponsor=eva, first_name="Fenna", last_name="Mulder")
    return dict(root=root, anna=anna, eva=eva, bram=bram, dirk=dirk, cor=cor, fenna=fenna)


@pytest.fixture(autouse=True)
def fast_test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The manifest storage needs collectstatic; admin pages in tests only need the URLs.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
