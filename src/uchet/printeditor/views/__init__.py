"""Screens of the print editor (Flask): the print-form list and editor, print menus on cards
and lists, single and mass print-outs, previews.

The render core in :mod:`uchet.printeditor` imports no Flask; these modules are the only part
of the package that does. The web app registers them like any other feature
(:func:`uchet.printeditor.views.editor.init_app`).
"""
