"""Features built on the record service: numbering, values filled on write, notifications,
the inbox, mail, background jobs, reports, dashboards, periods, preferences and saved views,
and the plugin that registers the built-in ones.

May import every layer below (``model`` up to ``records``) and ``uchet.hookspecs``.
"""
