"""Print forms cannot stall others, and templates that can never print are refused at upload
(issue 13, points 3 and 6).

* Upload: a template that breaks a sandbox rule (``__class__``, ``__globals__``,
  ``range(10**9)``, nested literal loops past the budget) is refused by the service and by
  the web page, naming the paragraph / table cell / sheet!cell, in the user's language, and
  nothing is stored.
* Render slots: one user flooding the queue holds one slot; another user's print is served
  next. Shown with stand-in workers that block on events (no clocks), and with real worker
  processes and a hostile template under a small time budget.
"""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
from docx import Document
from openpyxl import Workbook

from uchet import SYSTEM
from uchet.printeditor import PrintForms
from uchet.printeditor.errors import PrintBusy, PrintError
from uchet.printeditor.sandbox import environment
from uchet.printeditor.slots import Slots
from uchet.printeditor.static_check import LOOP_BUDGET, sandbox_problems
from uchet.printeditor.worker import WorkerPool

BOMB = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
#: (payload, words of the refusal in Russian, in English)
PAYLOADS = [
    ("{{ ''.__class__.__mro__ }}", "обращение к атрибуту '__class__' запрещено",
     "access to attribute '__class__' is not allowed"),
    ("{{ cycler.__init__.__globals__ }}", "обращение к атрибуту '__globals__' запрещено",
     "access to attribute '__globals__' is not allowed"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}",
     "обращение к атрибуту '__subclasses__' запрещено", "'__subclasses__' is not allowed"),
    ("{{ ''|attr('__class__') }}", "обращение к атрибуту '__class__' запрещено",
     "'__class__' is not allowed"),
    ("{% for i in range(10**9) %}{{ i }}{% endfor %}",
     "range() на 1000000000 элементов (допустимо не более 100000)",
     "range() of 1000000000 items (at most 100000)"),
    (BOMB, "вложенные циклы повторяются 10000000000 раз", "nested loops repeat 10000000000 times"),
    ("{{ 9 ** (10 ** 8) }}", "слишком большая степень", "the power 100000000 is too large"),
    ("{{ 'a' * 10**9 }}", "делает его слишком длинным", "makes it too long"),
]  # fmt: skip


def docx(*paragraphs: str, cells: tuple[str, ...] = ()) -> bytes:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    if cells:
        table = doc.add_table(rows=1, cols=len(cells))
        for cell, text in zip(table.rows[0].cells, cells, strict=True):
            cell.text = text
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def xlsx(cells: dict[str, str]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Счёт"
    for at, value in cells.items():
        ws[at] = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# -- the static check ---------------------------------------------------------------------
@pytest.mark.parametrize(("payload", "_ru", "en"), PAYLOADS)
def test_the_check_finds_each_payload(payload: str, _ru: str, en: str) -> None:
    found = sandbox_problems(environment().parse(payload))
    assert any(en in message for _line, _name, message in found), found


@pytest.mark.parametrize(
    "fine",
    [
        "{{ name }} {{ 2 ** 10 }} {{ '-' * 40 }}",
        "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
        "{% for line in lines %}{% for i in range(100000) %}{% endfor %}{% endfor %}",
        "{{ client.name }} {{ rows|length }}",
    ],
)
def test_the_check_lets_ordinary_templates_through(fine: str) -> None:
    assert sandbox_problems(environment().parse(fine)) == []
    assert LOOP_BUDGET >= 1000 * 1000  # the second template sits at the budget


@pytest.mark.parametrize(("payload", "_ru", "en"), PAYLOADS)
def test_the_service_refuses_at_upload_naming_the_place(
    web_platform: Any, payload: str, _ru: str, en: str
) -> None:
    anna = web_platform.users.find("anna")
    forms = PrintForms(web_platform, anna, "en")
    form = forms.create("mine", "Мой акт", "work")
    with pytest.raises(PrintError) as e:
        forms.upload(form.id, docx("Акт", "{{ title }}", payload), "t.docx")
    assert {p.location for p in e.value.problems} == {"paragraph 3"}
    assert any(en in p.message for p in e.value.problems), e.value.problems
    with pytest.raises(PrintError) as e:
        forms.upload(form.id, docx("Акт", cells=("x", payload)), "t.docx")
    assert {p.location for p in e.value.problems} == {"table 1, row 1, column 2"}
    sheet = forms.create("sheet", "Таблица", "work", template=xlsx({"A1": "{{ title }}"}),
                         file_name="t.xlsx")  # fmt: skip
    with pytest.raises(PrintError) as e:
        # Text before it: a cell that is a whole {% for %} tag marks a repeated row.
        forms.upload(sheet.id, xlsx({"A1": "{{ title }}", "B2": "Итого: " + payload}), "t.xlsx")
    assert {p.location for p in e.value.problems} == {"sheet 'Счёт', cell B2"}
    assert any(en in p.message for p in e.value.problems), e.value.problems
    assert [v.version for v in forms.versions(form.id)] == [1]
    assert [v.version for v in forms.versions(sheet.id)] == [1]


def test_nested_loop_rows_of_a_spreadsheet_are_multiplied(web_platform: Any) -> None:
    forms = PrintForms(web_platform, SYSTEM, "en")
    template = xlsx({"A1": "{% for i in range(100000) %}", "A2": "{% for j in range(100000) %}",
                     "A3": "{{ j }}", "A4": "{% endfor %}", "A5": "{% endfor %}"})  # fmt: skip
    with pytest.raises(PrintError) as e:
        forms.create("lines", "Строки", "work", template=template, file_name="t.xlsx")
    assert [str(p) for p in e.value.problems] == [
        "sheet 'Счёт', row 2: nested loops repeat 10000000000 times (at most 1000000)"
    ]
    assert "lines" not in [f.name for f in forms.all()]


@pytest.mark.parametrize(("payload", "ru", "_en"), PAYLOADS[:2] + PAYLOADS[4:6])
def test_the_web_upload_refuses_in_russian_and_stores_nothing(
    client: Any, web_platform: Any, payload: str, ru: str, _en: str
) -> None:
    client.login("anna")  # a manager: may create print forms for work
    fields = {"name": "my_act", "label": "Акт", "table": "work", "source": "starter"}
    r = client.post("/print-forms/new", fields)
    assert r.status_code == 302, r.text[:300]
    r = client.post(
        "/print-forms/pf.my_act/upload",
        {"template": (io.BytesIO(docx("Акт", "{{ title }}", payload)), "t.docx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert "не сохранён" in r.text
    assert f"абзац 3: {ru}" in r.text.replace("&#39;", "'")
    assert [v.version for v in PrintForms(web_platform, SYSTEM).versions("pf.my_act")] == [1]
    # Creating a form from such a file is refused the same way, and makes nothing.
    r = client.post(
        "/print-forms/new",
        {"name": "my_act2", "label": "Акт 2", "table": "work", "source": "upload",
         "template": (io.BytesIO(docx(payload)), "t.docx")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert r.status_code == 422 and "абзац 1" in r.text
    assert "my_act2" not in [f.name for f in PrintForms(web_platform, SYSTEM).all()]


# -- fair slots (stand-in workers, no clocks) -------------------------------------------------
class Gate:
    """A stand-in worker: records who rendered, in order; ``slow`` forms wait for ``go``."""

    def __init__(self, _memory: int = 0) -> None:
        self.go = threading.Event()
        self.started = threading.Event()
        self.order: list[str] = []

    def run(self, kind: str, data: bytes, context: Any, form: str, limit: float) -> bytes:
        self.order.append(form)
        self.started.set()
        if form.startswith("slow"):
            assert self.go.wait(30), "never released"
        return form.encode()

    def stop(self) -> None:
        pass


def _spawn(pool: WorkerPool, form: str, owner: Any, out: dict[str, Any]) -> threading.Thread:
    def job() -> None:
        try:
            out[form] = pool.render("docx", b"", {}, form, owner=owner)
        except PrintError as exc:
            out[form] = exc

    thread = threading.Thread(target=job)
    thread.start()
    return thread


def test_another_users_print_goes_next_while_one_user_floods() -> None:
    gates: list[Gate] = []

    def make(memory: int) -> Gate:
        gates.append(Gate())
        return gates[-1]

    # One worker, one render per user: the harshest case.
    pool = WorkerPool(1, per_user=1, queue_wait=30, worker_factory=make)
    gate, out = gates[0], {}
    threads = [_spawn(pool, "slow-1", "anna", out)]
    assert gate.started.wait(30)  # anna's first print holds the only worker
    threads += [_spawn(pool, f"slow-{n}", "anna", out) for n in (2, 3, 4)]
    threads.append(_spawn(pool, "boris-card", "boris", out))
    while pool.slots.waiting() < 1:  # boris is queued for the worker (anna's others are not)
        threading.Event().wait(0.01)
    assert pool.slots.waiting() == 1
    gate.go.set()
    for t in threads:
        t.join(30)
    # The moment anna's first render ended, boris's print had the worker, before her flood.
    assert gate.order[:2] == ["slow-1", "boris-card"]
    assert out["boris-card"] == b"boris-card"
    assert sorted(gate.order) == ["boris-card", "slow-1", "slow-2", "slow-3", "slow-4"]


def test_a_flood_past_the_wait_is_told_busy_and_holds_nothing() -> None:
    slots: Slots[str] = Slots(["w1", "w2"], per_owner=1, wait=0)
    with slots.take("anna", "f") as first:
        with pytest.raises(PrintBusy, match="previous prints") as e, slots.take("anna", "f"):
            pass
        assert e.value.retry_after == 0
        with slots.take("boris", "g") as other:  # anna's refused call took no slot
            assert {first, other} == {"w1", "w2"}
            with (
                pytest.raises(PrintBusy, match="all print workers are busy"),
                slots.take("vera", "h"),
            ):
                pass
    with slots.take("vera", "h"), slots.take("anna", "f"):  # everything came back
        assert slots.waiting() == 0


def test_a_hostile_render_is_killed_and_another_user_still_prints() -> None:
    """Real worker processes: anna floods with a loop bomb stored before the upload check;
    boris's ordinary document renders; anna's first render is stopped at the time budget
    and her others are told to wait, none holding a worker."""
    pool = WorkerPool(2, time_limit=2, memory_limit=256 * 1024 * 1024, per_user=1,
                      queue_wait=0.2)  # fmt: skip
    try:
        out: dict[str, Any] = {}
        bomb, ordinary = docx(BOMB), docx("Акт {{ title }}")

        def job(form: str, owner: str, data: bytes) -> threading.Thread:
            def run() -> None:
                try:
                    out[form] = pool.render("docx", data, {"title": "№1"}, form, owner=owner)
                except PrintError as exc:
                    out[form] = exc

            thread = threading.Thread(target=run)
            thread.start()
            return thread

        threads = [job(f"bomb-{n}", "anna", bomb) for n in range(4)]
        threads.append(job("card", "boris", ordinary))
        for t in threads:
            t.join(60)
        assert isinstance(out["card"], bytes)
        assert Document(io.BytesIO(out["card"])).paragraphs[0].text == "Акт №1"
        anna = [out[f"bomb-{n}"] for n in range(4)]
        killed = [e for e in anna if type(e) is PrintError and "stopped" in e.message]
        busy = [e for e in anna if isinstance(e, PrintBusy)]
        assert len(killed) >= 1 and len(killed) + len(busy) == 4, anna
        # Both workers are free again: two users print at once afterwards.
        assert isinstance(pool.render("docx", ordinary, {"title": "2"}, "again", owner="vera"),
                          bytes)  # fmt: skip
    finally:
        pool.close()
