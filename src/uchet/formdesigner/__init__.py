"""The form designer: how a card is laid out from the configuration's form documents.

* :mod:`uchet.formdesigner.model`: the layout model (tabs, sections, rows, cells, child
  tabs) built from a form document. Plain data, no Flask: testable without a browser.
* :mod:`uchet.formdesigner.render`: the layout on a web screen, with the child lists' rows
  and URLs (Flask's ``url_for``). It takes what it needs of the screen as a protocol.

It builds on :mod:`uchet.platform` and :mod:`uchet.configurations` and never imports
:mod:`uchet.web`; the web layer imports it. The visual form designer will live here too.
"""
