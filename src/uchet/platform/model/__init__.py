"""The configuration model: frozen dataclasses of a configuration, its meta-schemas,
identifiers, the public errors, i18n messages, dotted field paths and the syntax of
numbering patterns.

The bottom layer: it imports nothing from the rest of ``uchet``.
"""
