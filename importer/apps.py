from django.apps import AppConfig


class ImporterConfig(AppConfig):
    """The network import (`import_network DIR`, no models of its own): above the domain apps it
    writes into, which never import it."""

    name = "importer"
