"""Delivery (issue 19): the outbox sends each message exactly once across workers, a dead
worker's rows go out after its lease, the rate limit (an injected clock), retries with
backoff, cancel, skipped recipients counted, and the rights of the sender."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
import sqlalchemy as sa
from tests.delivery_support import add_people

from uchet.platform.messaging import outbox
from uchet.platform.messaging.contract import DeliveryResult
from uchet.platform.messaging.mailings import Mailings
from uchet.platform.messaging.ratelimit import STATE_KEY, Rate, RateLimiter, SharedRateLimiter
from uchet.platform.messaging.sender import Sender, settle
from uchet.platform.model.errors import PermissionDenied

# An hour ahead: every row made by the test is due by then, whatever the wall clock says.
T0 = outbox.now() + dt.timedelta(hours=1)


def rows(p, **where):
    o = p.runtime.model.system["uchet_outbox"]
    stmt = sa.select(o).order_by(o.c.id)
    for key, value in where.items():
        stmt = stmt.where(o.c[key] == value)
    with p.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def five(p, anna):
    return add_people(p, anna, [{"name": f"Клиент {i}", "email": f"c{i}@example.test",
                                 "vip": i % 2 == 0} for i in range(5)])  # fmt: skip


class FakeClock:
    """Seconds for the rate limiter, stepped by the test."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_mass_mailing_counts_and_skips_before_sending(people, senders, channel):
    anna, boris = senders["anna"], senders["boris"]
    ids = five(people, anna)
    no_address = add_people(people, anna, [{"name": "Без почты 1"}, {"name": "Без почты 2"}])
    opted = add_people(people, anna, [{"name": "Отписан", "email": "o@example.test",
                                       "no_mailing_email": True}])  # fmt: skip
    others = add_people(people, boris, [{"name": "Чужой", "email": "x@example.test"}])
    mailings = Mailings(people.runtime)
    everyone = ids + no_address + opted + others
    plan = mailings.plan("promo", anna, everyone)
    assert plan.counts() == {"send": 5, "no_address": 2, "opted_out": 1, "no_right": 1}
    assert channel.sent == []  # planning sends nothing
    mailing = mailings.start("promo", anna, everyone)
    assert mailings.progress(mailing) | {} == {
        **dict.fromkeys(outbox.STATUSES, 0),
        "queued": 5,
        "skipped": 4,
        "total": 9,
    }
    report = Sender(people.runtime).deliver()
    assert (report.sent, report.failed) == (5, 0)
    assert sorted(m.to for m in channel.sent) == [f"c{i}@example.test" for i in range(5)]
    skipped = {r["record_id"]: r["reason"] for r in rows(people, status="skipped")}
    assert skipped == {no_address[0]: "no_address", no_address[1]: "no_address",
                       opted[0]: "opted_out", others[0]: "no_right"}  # fmt: skip
    sent = rows(people, status="sent")
    assert {r["sent_by"] for r in sent} == {anna.id} and all(r["sent_at"] for r in sent)
    assert {r["subject"] for r in sent} == {f"Здравствуйте, Клиент {i}" for i in range(5)}
    assert settle(people.runtime, mailing) is None
    assert mailings.get(mailing).status == "done"
    # Starting the same records again is a new mailing: the key is per mailing and record.
    again = mailings.start("promo", anna, ids[:1])
    assert again != mailing and len(rows(people, mailing_id=again)) == 1


def test_exactly_once_with_two_workers(people, senders, channel):
    anna = senders["anna"]
    ids = add_people(people, anna, [{"name": f"П{i}", "email": f"p{i}@example.test"}
                                    for i in range(60)])  # fmt: skip
    Mailings(people.runtime).start("promo", anna, ids)
    workers = [Sender(people.runtime, worker_id=f"w{i}", batch=7) for i in range(2)]
    start = threading.Barrier(2)
    done: list[int] = []

    def run(sender: Sender) -> None:
        start.wait()
        done.append(sender.deliver().sent)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # On a loaded machine a write may meet SQLite's busy timeout: that row is retried
    # later (a temporary failure), never sent twice. A pass after the backoff ends it.
    late = Sender(people.runtime, worker_id="late").deliver(at=T0 + dt.timedelta(hours=1))
    assert sum(done) + late.sent == 60
    counts = Counter(m.to for m in channel.sent)
    assert len(counts) == 60 and set(counts.values()) == {1}
    assert {r["status"] for r in rows(people)} == {"sent"}


def test_a_killed_workers_rows_go_out_after_its_lease_and_sent_ones_never_again(
    people, senders, channel
):
    anna = senders["anna"]
    ids = five(people, anna)
    mailing = Mailings(people.runtime).start("promo", anna, ids)
    o = people.runtime.model.system["uchet_outbox"]
    claimed = outbox.claim(people.engine, o, "dead", at=T0, lease=60, limit=3)
    assert len(claimed) == 3
    # It sent the first and wrote so, then died holding the other two.
    assert outbox.record_result(people.engine, o, claimed[0], "dead",
                                DeliveryResult(outcome="sent"), at=T0) == "sent"  # fmt: skip
    alive = Sender(people.runtime, worker_id="alive")
    assert alive.deliver(at=T0 + dt.timedelta(seconds=30)).sent == 2  # the two never claimed
    assert alive.deliver(at=T0 + dt.timedelta(seconds=59)).sent == 0  # still leased
    assert settle(people.runtime, mailing, T0) == T0 + dt.timedelta(seconds=60)
    assert alive.deliver(at=T0 + dt.timedelta(seconds=61)).sent == 2  # the lease ran out
    assert alive.deliver(at=T0 + dt.timedelta(hours=2)).sent == 0
    sent_to = Counter(m.to for m in channel.sent)
    first = rows(people, id=claimed[0].id)[0]
    assert first["address"] not in sent_to  # marked sent by the dead worker: never again
    assert len(sent_to) == 4 and set(sent_to.values()) == {1}
    # The dead worker, come back, cannot overwrite what the live one wrote.
    assert outbox.record_result(people.engine, o, claimed[1], "dead",
                                DeliveryResult(outcome="failed"), at=T0) is None  # fmt: skip
    assert {r["status"] for r in rows(people)} == {"sent"}


def test_rate_limit_with_an_injected_clock(people, senders, channel):
    anna = senders["anna"]
    ids = five(people, anna)
    mailing = Mailings(people.runtime).start("promo", anna, ids)
    clock = FakeClock()
    sender = Sender(people.runtime, limiter=RateLimiter({"email": Rate(2, 1.0)}, clock))
    first = sender.deliver(at=T0)
    assert first.sent == 2 and first.deferred_until == T0 + dt.timedelta(seconds=1)
    progress = Mailings(people.runtime).progress(mailing)
    assert (progress["sent"], progress["queued"], progress["sending"]) == (2, 3, 0)
    # The same moment again: the bucket is empty, nothing goes.
    assert sender.deliver(at=T0).sent == 0
    clock.t += 0.5  # half a second: one token back
    assert sender.deliver(at=T0 + dt.timedelta(seconds=1)).sent == 1
    clock.t += 1.0
    assert sender.deliver(at=T0 + dt.timedelta(seconds=2)).sent == 2
    assert len(channel.sent) == 5
    # A deferral does not count as an attempt.
    assert {r["attempts"] for r in rows(people)} == {1}


def shared(p, rates, clock):
    """A worker's limiter on the site's shared buckets (nothing of it is in the process)."""
    return SharedRateLimiter(p.engine, p.runtime.model.system["uchet_state"], rates, clock)


def test_two_workers_draw_on_one_site_rate(people, senders, channel):
    """Issue 19: the rate is the site's, not each worker's. Two senders with limiters of
    their own (as two processes have) share the bucket kept in the database."""
    anna = senders["anna"]
    mailing = Mailings(people.runtime).start("promo", anna, five(people, anna))
    clock = FakeClock()
    rates = {"email": Rate(2, 1.0)}
    one = Sender(people.runtime, worker_id="w1", limiter=shared(people, rates, clock))
    two = Sender(people.runtime, worker_id="w2", limiter=shared(people, rates, clock))
    assert one.deliver(at=T0).sent == 2  # the rest is put back until a second later
    # The limiter's clock has not moved: the other worker finds the site's bucket empty
    # (a bucket of its own would be full and send two).
    late = two.deliver(at=T0 + dt.timedelta(seconds=1))
    assert late.sent == 0 and late.deferred_until == T0 + dt.timedelta(seconds=2)
    clock.t += 1.0  # two tokens back, for whichever worker asks first
    assert one.deliver(at=T0 + dt.timedelta(seconds=2)).sent == 2
    assert two.deliver(at=T0 + dt.timedelta(seconds=3)).sent == 0
    clock.t += 0.5
    assert two.deliver(at=T0 + dt.timedelta(seconds=4)).sent == 1
    assert len(channel.sent) == 5 and Mailings(people.runtime).progress(mailing)["sent"] == 5


def test_the_shared_bucket_refills_at_the_rate_and_survives_a_damaged_row(people):
    clock = FakeClock()
    a, b = (shared(people, {"sms": Rate(3, 6.0)}, clock) for _ in range(2))
    assert [a.take("sms"), b.take("sms"), a.take("sms")] == [0.0, 0.0, 0.0]
    assert b.take("sms") == pytest.approx(2.0)  # 3 per 6 s: a token every 2 s
    clock.t += 1.0
    assert a.take("sms") == pytest.approx(1.0)  # half a token back, nothing taken
    clock.t += 1.0
    assert b.take("sms") == 0.0
    assert a.take("email") == 0.0  # a channel without a rate: unlimited, nothing stored
    state = people.runtime.model.system["uchet_state"]
    with people.engine.begin() as conn:
        keys = set(conn.execute(sa.select(state.c.key).where(state.c.key.like("rate:%"))).scalars())
        assert keys == {STATE_KEY.format(channel="sms")}
        conn.execute(state.update().where(state.c.key == "rate:sms").values(value="{oops"))
    assert a.take("sms") == 0.0  # a damaged row reads as a full bucket and is rewritten
    clock.t -= 100.0  # a clock that went back (another host's) refills nothing
    assert [a.take("sms"), a.take("sms")] == [0.0, 0.0]
    assert a.take("sms") > 0
    clock.t += 100.5  # the right clock, half a second on: a quarter token, no refilled gap
    assert b.take("sms") == pytest.approx(1.5)


def test_retries_back_off_then_fail(people, senders, channel):
    anna = senders["anna"]
    [flaky, dead] = add_people(
        people,
        anna,
        [{"name": "Ф", "email": "flaky@example.test"}, {"name": "М", "email": "dead@example.test"}],
    )
    channel.script["flaky@example.test"] = [DeliveryResult(outcome="retry", reason="421 busy")] * 2
    channel.script["dead@example.test"] = [DeliveryResult(outcome="retry", reason="timeout")] * 9
    Mailings(people.runtime).start("promo", anna, [flaky, dead])
    sender = Sender(people.runtime, max_attempts=3)
    assert sender.deliver(at=T0).retried == 2
    [row] = rows(people, record_id=flaky)
    assert row["status"] == "queued" and row["reason"] == "421 busy"
    assert row["next_attempt_at"] == T0 + dt.timedelta(minutes=1)
    assert sender.deliver(at=T0 + dt.timedelta(seconds=59)).retried == 0  # not yet
    assert sender.deliver(at=T0 + dt.timedelta(minutes=1)).retried == 2
    [row] = rows(people, record_id=flaky)
    assert row["next_attempt_at"] == T0 + dt.timedelta(minutes=3)  # 1 + 2: doubled
    report = sender.deliver(at=T0 + dt.timedelta(minutes=3))
    assert (report.sent, report.failed) == (1, 1)
    [ok] = rows(people, record_id=flaky)
    [failed] = rows(people, record_id=dead)
    assert (ok["status"], ok["attempts"], ok["reason"]) == ("sent", 3, None)
    assert (failed["status"], failed["attempts"], failed["reason"]) == ("failed", 3, "timeout")
    assert [m.to for m in channel.sent] == ["flaky@example.test"]


def test_a_bounce_and_a_missing_channel_are_final(people, senders, channel):
    anna = senders["anna"]
    [gone] = add_people(people, anna, [{"name": "Б", "email": "gone@example.test"}])
    [sms] = add_people(people, anna, [{"name": "С", "phone": "+7 900 000-00-01"}])
    channel.script["gone@example.test"] = [DeliveryResult(outcome="bounced", reason="550")]
    mailings = Mailings(people.runtime)
    mailings.start("promo", anna, [gone])
    mailings.start("sms_visit", anna, [sms])  # the built-in SMS channel has no settings here
    report = Sender(people.runtime).deliver(at=T0)
    assert (report.bounced, report.failed) == (1, 1)
    [row] = rows(people, channel="sms")
    assert row["status"] == "failed" and row["reason"] == "Канал «sms» не настроен"


def test_cancel_stops_the_rest(people, senders, channel):
    anna, admin, boris = senders["anna"], senders["admin"], senders["boris"]
    ids = five(people, anna)
    mailings = Mailings(people.runtime)
    mailing = mailings.start("promo", anna, ids)
    sender = Sender(people.runtime, limiter=RateLimiter({"email": Rate(2)}, FakeClock()))
    assert sender.deliver(at=T0).sent == 2
    with pytest.raises(PermissionDenied):
        mailings.cancel(mailing, boris)  # not his mailing
    assert mailings.cancel(mailing, anna) == 3
    assert sender.deliver(at=T0 + dt.timedelta(hours=1)).sent == 0
    progress = mailings.progress(mailing)
    assert (progress["sent"], progress["cancelled"]) == (2, 3)
    assert mailings.get(mailing).status == "cancelled"
    assert mailings.cancel(mailing, admin) == 0  # an administrator may; nothing is left
    jobs = people.runtime.model.system["uchet_jobs"]
    with people.engine.connect() as conn:
        pending = conn.execute(sa.select(jobs).where(jobs.c.status == "pending")).all()
    assert pending == []  # its sending job is gone too


def test_rights_of_the_sender(people, senders, channel):
    anna, vera, boris = senders["anna"], senders["vera"], senders["boris"]
    mine = five(people, anna)
    theirs = add_people(people, boris, [{"name": "Чужой VIP", "email": "b@example.test",
                                         "vip": True}])  # fmt: skip
    mailings = Mailings(people.runtime)
    with pytest.raises(PermissionDenied):
        mailings.plan("promo", vera, mine)  # reads, but has no «mail» right
    with pytest.raises(PermissionDenied):
        mailings.start("promo", vera, mine)
    # The list's filter and search run as the sender: only her own VIP people.
    vips = mailings.select(anna, "people", filters=[{"field": "vip", "op": "eq", "value": True}])
    assert vips == [mine[0], mine[2], mine[4]]
    assert mailings.select(anna, "people", search="Клиент 3") == [mine[3]]
    # Ids picked by hand that she may not read are skipped, never sent.
    plan = mailings.plan("promo", anna, vips + theirs)
    assert plan.counts()["no_right"] == 1 and len(plan.recipients) == 3
    mailings.start("promo", anna, vips + theirs)
    Sender(people.runtime).deliver()
    assert "b@example.test" not in {m.to for m in channel.sent}


def test_a_test_message_goes_to_the_sender_only(people, senders, channel):
    anna, boris = senders["anna"], senders["boris"]
    [client] = add_people(people, anna, [{"name": "Клиент", "email": "client@example.test"}])
    mailings = Mailings(people.runtime)
    test = mailings.test("promo", anna, client)
    Sender(people.runtime).deliver()
    [message] = channel.sent
    assert message.to == "anna@example.test" and message.subject == "Здравствуйте, Клиент"
    assert "List-Unsubscribe" not in message.headers
    assert mailings.get(test).kind == "test"
    # Boris has no e-mail of his own: his test is skipped with the reason, not sent.
    [his] = add_people(people, boris, [{"name": "Его", "email": "his@example.test"}])
    assert mailings.progress(mailings.test("promo", boris, his))["skipped"] == 1
    single = mailings.single("promo", anna, client)
    Sender(people.runtime).deliver()
    assert [m.to for m in channel.sent] == ["anna@example.test", "client@example.test"]
    assert mailings.get(single).kind == "single"
    log = mailings.log(table="people", record_id=client)
    assert [(r["kind"], r["status"], r["address"]) for r in log] == [
        ("single", "sent", "client@example.test"),
        ("test", "sent", "anna@example.test"),
    ]


def test_mailing_job_runs_in_the_worker(people, senders, channel):
    anna = senders["anna"]
    ids = five(people, anna)
    mailings = Mailings(people.runtime)
    mailing = mailings.start("promo", anna, ids)
    assert people.worker(worker_id="w1").run_once() >= 1
    assert len(channel.sent) == 5
    assert mailings.get(mailing).status == "done"
    assert people.worker(worker_id="w2").run_once() == 0
    assert len(channel.sent) == 5


class FileChannel:
    """An e-mail channel that appends each address to a file (shared by processes)."""

    name = "email"

    def __init__(self, path: str):
        self.path = path

    def send(self, message):
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(message.to + "\n")
        return DeliveryResult(outcome="sent")


def _process_worker(db_url: str, bundle: str, out: str, worker_id: str, go) -> None:
    from tests.delivery_support import DeliveryTestPlugin

    from uchet import Platform

    p = Platform.open(bundle, database_url=db_url, plugins=[DeliveryTestPlugin(FileChannel(out))])
    go.wait(30)
    Sender(p.runtime, worker_id=worker_id, batch=5).deliver()
    p.close()


def test_exactly_once_with_two_processes_on_one_sqlite_file(tmp_path):
    import multiprocessing

    from tests.delivery_support import DeliveryTestPlugin, open_people

    url = f"sqlite:///{tmp_path}/shared.db"
    p = open_people(url, tmp_path / "people", DeliveryTestPlugin())
    anna = p.users.create("anna", "secret-pass-1", roles=["sender"])
    ids = add_people(p, anna, [{"name": f"P{i}", "email": f"m{i}@example.test"}
                               for i in range(80)])  # fmt: skip
    Mailings(p.runtime).start("promo", anna, ids)
    p.close()
    out = tmp_path / "sent.txt"
    spawn = multiprocessing.get_context("spawn")
    go = spawn.Event()
    procs = [spawn.Process(target=_process_worker,
                           args=(url, str(tmp_path / "people"), str(out), f"proc{i}", go))
             for i in range(2)]  # fmt: skip
    for proc in procs:
        proc.start()
    go.set()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    # Rows that met the busy timeout on a loaded machine were put back to retry: send them.
    p = open_people(url, tmp_path / "people", DeliveryTestPlugin(FileChannel(str(out))))
    Sender(p.runtime, worker_id="late").deliver(at=T0 + dt.timedelta(hours=1))
    p.close()
    sent = out.read_text(encoding="utf-8").split()
    assert len(sent) == 80 and len(set(sent)) == 80


def test_a_test_goes_to_the_address_the_sender_types_sms_included(
    db_url, tmp_path, senders
) -> None:
    """Issue 19: «a test message to oneself, always offered». An account holds no phone, so
    the sender types where the test goes; an e-mail may be typed too. Anything that is not
    an address of the channel is refused and nothing is written."""
    from tests.delivery_support import DeliveryTestPlugin, RecordingChannel, open_people

    email, sms = RecordingChannel("email"), RecordingChannel("sms")
    p = open_people(db_url, tmp_path / "both", DeliveryTestPlugin(email, sms))
    try:
        boris = p.users.create("boris2", "secret-pass-2", name="Борис", roles=["sender"])
        [client] = add_people(p, boris, [{"name": "Клиент", "email": "client@example.test"}])
        mailings = Mailings(p.runtime)

        def written() -> int:
            with p.engine.connect() as conn:
                return conn.scalar(sa.select(sa.func.count()).select_from(mailings.mailings))

        before = written()
        for bad in ("не телефон", "123", "a@b", "+7 900 <script>"):
            with pytest.raises(ValueError):
                mailings.test("sms_visit", boris, client, to=bad)
        with pytest.raises(ValueError):
            mailings.test("promo", boris, client, to="+7 900 123-45-67")  # a phone for e-mail
        assert written() == before  # refused before anything was written
        mailings.test("sms_visit", boris, client, to="+7 (900) 123-45-67")
        mailings.test("promo", boris, client, to=" boris@home.test ")
        Sender(p.runtime).deliver()
        assert [m.to for m in sms.sent] == ["+7 (900) 123-45-67"]
        assert [m.to for m in email.sent] == ["boris@home.test"]  # not the client
    finally:
        p.close()
