"""The built-in plugin of delivery: its job kind and the automatic rules' record hook."""

from __future__ import annotations

from uchet.hookspecs import RecordChange, hookimpl
from uchet.platform.features.jobs import JobRegistry
from uchet.platform.messaging import rules
from uchet.platform.messaging.mailings import JOB_KIND
from uchet.platform.messaging.sender import run_mailing_job


class MessagingPlugin:
    """Registers ``messages.mailing`` and ``messages.rules`` and watches field changes."""

    @hookimpl
    def uchet_register_job_kinds(self, registry: JobRegistry) -> None:
        # Sending talks to a server: external, the job is marked done after it.
        registry.register(JOB_KIND, run_mailing_job, external=True)

    @hookimpl
    def uchet_after_update(self, change: RecordChange) -> None:
        rules.on_update(change)
