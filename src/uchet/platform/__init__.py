"""The engine: configurations in, schema, queries and records out. It imports no Flask.

One concept per subpackage, in layers; a module imports only from its own layer and lower
ones (``tests/test_layers.py`` checks it), bottom to top: ``model``, ``fieldtypes``,
``formula``, ``checks``, ``schema``, ``query``, ``records``, ``features``, and
:mod:`.plugins` on top. Nothing here imports ``configurations``, ``core``, ``web``, ``cli``,
``printeditor``, ``formdesigner`` or ``sample_crm``; of the rest of ``uchet`` only the hook
specifications (``uchet.hookspecs``).
"""
