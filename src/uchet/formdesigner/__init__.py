"""The form designer: the layout model of cards (tabs, sections, rows, cells, child tabs) and
its renderer (:mod:`uchet.formdesigner.layout`).

It builds on :mod:`uchet.platform` and :mod:`uchet.configurations`; the web layer imports it,
never the other way round.
"""
