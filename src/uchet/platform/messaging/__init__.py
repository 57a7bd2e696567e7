"""Messages to clients (issue 19; seeds S17, S28, S34): templates, channels, delivery.

:mod:`.contract` is the shared vocabulary: the message, the channel plug-in protocol and
its registry, and the prepared-template protocol the delivery side uses. Templates and
channels (rendering, SMTP, the HTTP SMS gateway) and delivery (the outbox and its log,
mass mailings, opt-out, automatic rules) build on it, and meet only through it.
"""
