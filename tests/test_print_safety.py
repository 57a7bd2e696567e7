"""Print templates are user input: the sandbox and the worker's limits stop attacks and bombs,
each with a PrintError naming the form, and printing keeps working afterwards."""

from __future__ import annotations

import io

import pytest
from docx import Document

from uchet.printeditor.errors import PrintError
from uchet.printeditor.render import render
from uchet.printeditor.values import Record
from uchet.printeditor.worker import WorkerPool

CONTEXT = {"name": 'A & <B> "q"', "client": Record({"city": "Москва"}, "Клиент")}


def docx(text: str) -> bytes:
    doc = Document()
    doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def text_of(data: bytes) -> str:
    return Document(io.BytesIO(data)).paragraphs[0].text


@pytest.fixture(scope="module")
def pool():
    workers = WorkerPool(size=1, time_limit=3, memory_limit=256 * 1024 * 1024)
    yield workers
    workers.close()


INJECTIONS = [
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "not allowed"),
    ("{{ cycler.__init__.__globals__.os.popen('echo PWNED').read() }}", "not allowed"),
    ("{{ lipsum.__globals__['os'].popen('id').read() }}", "not allowed"),
    ("{{ self._TemplateReference__context }}", "not allowed"),
    ("{{ ''|attr('__class__') }}", "not allowed"),
    ("{{ 'a' * 10**9 }}", "too long"),
    ("{{ 9 ** (10 ** 8) }}", "too large"),
    ("{{ range(10**7)|list }}", "too large"),
]


@pytest.mark.parametrize(("payload", "expected"), INJECTIONS)
def test_injection_fails_in_process(payload: str, expected: str) -> None:
    with pytest.raises(PrintError, match=expected) as e:
        render("docx", docx(payload), CONTEXT, "evil_form")
    assert "'evil_form'" in str(e.value)


@pytest.mark.parametrize(("payload", "expected"), INJECTIONS[:3] + INJECTIONS[5:6])
def test_injection_fails_in_the_worker(pool: WorkerPool, payload: str, expected: str) -> None:
    with pytest.raises(PrintError, match=expected):
        pool.render("docx", docx(payload), CONTEXT, "evil_form")
    assert text_of(pool.render("docx", docx("ok {{ name }}"), CONTEXT, "f")) == 'ok A & <B> "q"'


def test_nested_loop_bomb_is_stopped_by_the_time_limit(pool: WorkerPool) -> None:
    # No output, so only the time limit can stop it (with output it may hit memory first,
    # depending on how fast the machine is: test_memory_bomb_kills_only_the_worker).
    bomb = "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"
    with pytest.raises(PrintError, match=r"'bomb'.*longer than 3 s") as e:
        pool.render("docx", docx(bomb), CONTEXT, "bomb")
    assert "stopped" in str(e.value)
    # the process (and a fresh worker) keep working
    assert text_of(pool.render("docx", docx("{{ client.city }}"), CONTEXT, "f")) == "Москва"


def test_memory_bomb_kills_only_the_worker(pool: WorkerPool) -> None:
    bomb = "{{ range(99999)|map('string')|join('x' * 99999) }}"  # ~10 GB if allowed
    with pytest.raises(PrintError, match=r"'membomb'.*(memory|resources)"):
        pool.render("docx", docx(bomb), CONTEXT, "membomb")
    assert text_of(pool.render("docx", docx("{{ name }}"), CONTEXT, "f")) == 'A & <B> "q"'


def test_values_with_markup_stay_text() -> None:
    out = render("docx", docx("{{ name }} {{ client }}"), CONTEXT, "f")
    assert text_of(out) == 'A & <B> "q" Клиент'


def test_syntax_error_is_a_print_error() -> None:
    with pytest.raises(PrintError, match=r"'broken'.*syntax error"):
        render("docx", docx("{{ name "), CONTEXT, "broken")
