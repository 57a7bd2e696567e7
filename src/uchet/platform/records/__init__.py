"""The record service, the one path to the data: the runtime of an applied configuration,
users and permissions, write checks, files and attachments, lookups, audit, bulk loads and
aggregates. Its helper modules take what they need of the service as a ``Protocol``, so
only ``service`` sits on top of them.

May import every layer below: ``model`` up to ``query``.
"""
