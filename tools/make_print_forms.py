"""Generate the sample CRM's document templates: invoice, act, waybill and contract (.docx).

    python tools/make_print_forms.py          # also writes the price list (make_price_list.py)

The .docx files in ``src/uchet/sample_crm/templates`` are the source of truth: people edit
them in Word and upload new versions. This script gives them their first, realistic Russian
layout (the bank-details block of a счёт на оплату, totals with VAT, the amount in words,
signatures with the company's signature and stamp images) and can regenerate them after a
change of layout. Every placeholder must pass ``uchet print check`` (a test checks all
bundled forms).

The documents use only what a template can see (docs/print-forms.md): the record, its
references (``client``, ``contract``), its child rows (``invoice_lines``, ``invoices``), the
company (``company``, from ``print_company_table``) and the helpers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docx.shared import Pt
from docx_kit import (
    CENTER,
    GREY,
    JUSTIFY,
    RIGHT,
    cell_borders,
    cell_text,
    keep_row,
    keep_with_next,
    loop_rows,
    new_document,
    para,
    rule,
    run,
    shade,
    table,
    valign,
)

from uchet.printeditor.starter import slim

TEMPLATES = Path(__file__).resolve().parent.parent / "src/uchet/sample_crm/templates"
WIDTH = 18.0  # cm between the margins of A4


def party(p: str) -> str:
    """One line of a party's details: name, INN, KPP, address, phone (a person's mobile)."""
    phone = f"{{% if {p}.phone %}}, тел.: {{{{ {p}.phone }}}}{{% endif %}}"
    if p == "client":
        phone = (
            f"{{% if {p}.phone %}}, тел.: {{{{ {p}.phone }}}}"
            f"{{% elif {p}.phone_mobile %}}, тел.: {{{{ {p}.phone_mobile }}}}{{% endif %}}"
        )
    return (
        f"{{{{ {p}.name }}}}{{% if {p}.tax_id %}}, ИНН {{{{ {p}.tax_id }}}}{{% endif %}}"
        f"{{% if {p}.kpp %}}, КПП {{{{ {p}.kpp }}}}{{% endif %}}"
        f"{{% if {p}.address %}}, {{{{ {p}.address }}}}{{% endif %}}{phone}"
    )


# -- blocks shared by the documents -----------------------------------------------------------
def letterhead(doc: Any) -> None:
    """The company's logo on the left, its name and contacts on the right."""
    t = table(doc, 1, [6.5, 11.5], borders=False)
    logo, details = t.rows[0].cells
    cell_text(logo, "{{ image(company.logo, width_mm=52) }}")
    valign(logo, "center")
    valign(details, "center")
    cell_text(details, "{{ company.name }}", bold=True, size=11, align=RIGHT)
    para(details, "{{ company.address }}", size=8, color=GREY, align=RIGHT)
    para(
        details,
        "{% if company.phone %}тел.: {{ company.phone }}{% endif %}"
        "{% if company.email %}   e-mail: {{ company.email }}{% endif %}",
        size=8,
        color=GREY,
        align=RIGHT,
    )
    para(doc, after=4)


def bank_block(doc: Any) -> None:
    """The payee's bank details as every Russian invoice opens: the payment order sample."""
    t = table(doc, 4, [4.6, 4.4, 1.6, 7.4])
    bank = t.cell(0, 0).merge(t.cell(1, 1))
    cell_text(bank, "{{ company.bank_name }}")
    para(bank, "Банк получателя", size=7.5, color=GREY, before=6)
    cell_text(t.cell(0, 2), "БИК")
    cell_text(t.cell(0, 3), "{{ company.bank_bik }}")
    cell_text(t.cell(1, 2), "Сч. №")
    cell_text(t.cell(1, 3), "{{ company.corr_account }}")
    cell_text(t.cell(2, 0), "ИНН {{ company.tax_id }}")
    cell_text(t.cell(2, 1), "КПП {{ company.kpp }}")
    account_label = t.cell(2, 2).merge(t.cell(3, 2))
    account = t.cell(2, 3).merge(t.cell(3, 3))
    cell_text(account_label, "Сч. №")
    cell_text(account, "{{ company.bank_account }}")
    valign(account_label, "top")
    valign(account, "top")
    payee = t.cell(3, 0).merge(t.cell(3, 1))
    cell_text(payee, "{{ company.name }}")
    para(payee, "Получатель", size=7.5, color=GREY, before=6)
    valign(bank, "top")


def title(doc: Any, text: str) -> None:
    para(doc, text, bold=True, size=14, before=10)
    rule(doc, size=16)


def parties(doc: Any, rows: list[tuple[str, str]]) -> None:
    """``(label, text)`` rows: Поставщик, Покупатель, Основание..."""
    t = table(doc, len(rows), [3.3, 14.7], borders=False)
    for row, (label, text) in zip(t.rows, rows):
        cell_text(row.cells[0], label)
        cell_text(row.cells[1], text, bold=True)
        row.cells[1].paragraphs[0].paragraph_format.space_after = Pt(5)


def lines_table(doc: Any, items: str, columns: list[tuple[str, str, float, Any]]) -> None:
    """A table of child rows: a shaded header, then one row per item of ``items``."""
    t = table(doc, 4, [w for _, _, w, _ in columns])
    for cell, (head, _, _, _) in zip(t.rows[0].cells, columns):
        cell_text(cell, head, bold=True, align=CENTER)
        shade(cell)
        valign(cell)
    loop_rows(t, 1, f"for l in {items}", 3)
    for cell, (_, value, _, align) in zip(t.rows[2].cells, columns):
        cell_text(cell, value, align=align)
        valign(cell, "top")


#: Whether a group of lines (``g``, by their VAT rate) carries no VAT: «Без НДС», or an
#: older line without a rate when the company had no rate either.
NO_VAT = "g.grouper == 'none' or (g.grouper == '' and not company.raw.vat_rate)"


def totals(doc: Any, total: str, last_width: float = 2.9) -> None:
    """Итого, one VAT line per rate of the lines (issue 21: the rate each line carries,
    22 %, 10 %, 0 % or «Без НДС»), and the amount due, right-aligned. Lines made before
    lines carried a rate use the company's rate of that time (``our_company.vat_rate``)."""
    t = table(doc, 5, [WIDTH - last_width - 6.4, 6.4, last_width], borders=False)
    rows = [
        (0, "Итого:", f"{{{{ {total}|number(2) }}}}"),
        (
            2,
            f"{{% if {NO_VAT} %}}Без НДС:{{% else %}}В том числе НДС ("
            "{% if g.grouper %}{{ g.grouper }}{% else %}"
            "{{ company.raw.vat_rate|number(2, trim=True) }}{% endif %} %):{% endif %}",
            f"{{% if {NO_VAT} %}}—{{% elif g.grouper %}}"
            "{{ g.list|sum(attribute='raw.vat_amount')|number(2) }}{% else %}"
            "{{ ((g.list|sum(attribute='raw.amount')) * company.raw.vat_rate"
            " / (100 + company.raw.vat_rate))|number(2) }}{% endif %}",
        ),
        (4, "Всего к оплате:", f"{{{{ {total}|number(2) }}}}"),
    ]
    loop_rows(t, 1, "for g in vat_groups", 3)
    for i, label, value in rows:
        cell_text(t.rows[i].cells[1], label, bold=True, align=RIGHT)
        cell_text(t.rows[i].cells[2], value, bold=True, align=RIGHT)
    para(doc, after=4)


def set_vat(doc: Any, items: str) -> None:
    """A ``{%p set %}`` paragraph (removed when printing): the lines of ``items`` grouped by
    their VAT rate, for :func:`totals`."""
    para(doc, f"{{%p set vat_groups = {items}|groupby('raw.vat_rate', default='') %}}")


def signature_row(t: Any, i: int, role: str, name: str, signature: str) -> None:
    cells = t.rows[i].cells
    cell_text(cells[0], role, bold=True)
    cell_text(cells[1], signature)
    cell_text(cells[3], name)
    for c in (cells[1], cells[3]):
        cell_borders(c, bottom="single")
        valign(c, "bottom")
    valign(cells[0], "bottom")
    keep_row(t.rows[i])


def signatures(doc: Any, rows: list[tuple[str, str, str]]) -> None:
    """Signature lines (role, name, what goes on the line: the company's signature image),
    and the stamp beside them."""
    para(doc, after=8)
    t = table(doc, len(rows), [3.2, 4.2, 0.4, 5.2, 5.0], borders=False)
    for i, (role, name, signature) in enumerate(rows):
        signature_row(t, i, role, name, signature)
    stamp = t.cell(0, 4).merge(t.cell(len(rows) - 1, 4))
    cell_text(stamp, "{{ image(company.stamp_image, width_mm=38) }}", align=CENTER)
    para(stamp, "М.П.", size=8, color=GREY, align=CENTER)
    valign(stamp, "center")
    for row in t.rows[:-1]:
        keep_with_next(row)


def two_party_signatures(doc: Any, left: str, right: str) -> None:
    """Two columns of signatures: the company (signed and stamped) and the client."""
    t = table(doc, 4, [8.6, 0.8, 8.6], borders=False)
    cell_text(t.cell(0, 0), left, bold=True)
    cell_text(t.cell(0, 2), right, bold=True)
    cell_text(t.cell(1, 0), "Генеральный директор")
    cell_text(t.cell(1, 2), "{{ client.name }}")
    sign = t.cell(2, 0)
    p = cell_text(sign, "{{ image(company.signature, width_mm=28) }}")
    run(p, "  / {{ company.director|initials }} /")
    cell_borders(sign, bottom="single")
    cell_text(t.cell(2, 2), " / _______________________ /", align=RIGHT)
    cell_borders(t.cell(2, 2), bottom="single")
    valign(sign, "bottom")
    valign(t.cell(2, 2), "bottom")
    cell_text(t.cell(3, 0), "{{ image(company.stamp_image, width_mm=36) }}")
    para(t.cell(3, 0), "М.П.", size=8, color=GREY)
    cell_text(t.cell(3, 2), "М.П.", size=8, color=GREY)
    valign(t.cell(3, 2), "center")
    for row in t.rows:
        keep_row(row)
    for row in t.rows[:-1]:
        keep_with_next(row)


SIGNATURE = "{{ image(company.signature, width_mm=30) }}"
LINE_COLUMNS = [
    ("№", "{{ loop.index }}", 0.9, CENTER),
    ("Товары (работы, услуги)", "{{ l.product.name }}", 8.2, None),
    ("Кол-во", "{{ l.raw.quantity|number(3, trim=True) }}", 1.7, RIGHT),
    ("Ед.", "{{ l.product.unit }}", 1.3, CENTER),
    ("Цена", "{{ l.raw.unit_price|number(2) }}", 3.0, RIGHT),
    ("Сумма", "{{ l.raw.amount|number(2) }}", 2.9, RIGHT),
]


# -- the documents ------------------------------------------------------------------------------
def invoice() -> Any:
    """Счёт на оплату."""
    doc = new_document()
    letterhead(doc)
    para(
        doc,
        "Внимание! Оплата данного счёта означает согласие с условиями поставки товара. "
        "Уведомление об оплате обязательно, в противном случае не гарантируется наличие "
        "товара на складе. Товар отпускается по факту прихода денег на р/с Поставщика.",
        size=7.5,
        align=CENTER,
        after=6,
    )
    para(doc, "Образец заполнения платёжного поручения", bold=True, size=9, after=2)
    bank_block(doc)
    title(doc, "Счёт на оплату № {{ number }} от {{ raw.date|date('long') }}")
    parties(
        doc,
        [
            ("Поставщик\n(Исполнитель):", party("company")),
            ("Покупатель\n(Заказчик):", party("client")),
            (
                "Основание:",
                "{% if contract %}Договор № {{ contract.number }} от {{ contract.date }}"
                "{% else %}Основной договор{% endif %}",
            ),
        ],
    )
    set_vat(doc, "invoice_lines")
    lines_table(doc, "invoice_lines", LINE_COLUMNS)
    totals(doc, "raw.total")
    para(
        doc,
        "Всего наименований {{ invoice_lines|length }}, на сумму {{ raw.total|number(2) }} руб.",
    )
    para(doc, "{{ amount_in_words(raw.total) }}", bold=True)
    para(doc, "{%p if due_date %}")
    para(doc, "Оплатить не позднее {{ due_date }}.", before=4)
    para(doc, "{%p endif %}")
    para(doc, "{%p if notes %}")
    para(doc, "{{ notes }}", italic=True, before=4)
    para(doc, "{%p endif %}")
    rule(doc, size=16, before=4)
    signatures(
        doc,
        [
            ("Руководитель", "{{ company.director|initials }}", SIGNATURE),
            # Without a chief accountant the director signs for both, as small firms do.
            (
                "Бухгалтер",
                "{{ (company.chief_accountant or company.director)|initials }}",
                "{% if not company.chief_accountant %}" + SIGNATURE + "{% endif %}",
            ),
        ],
    )
    return doc


def act() -> Any:
    """Акт об оказании услуг: the services of an invoice."""
    doc = new_document()
    letterhead(doc)
    title(doc, "Акт № {{ number }} от {{ raw.date|date('long') }}")
    parties(
        doc,
        [
            ("Исполнитель:", party("company")),
            ("Заказчик:", party("client")),
            (
                "Основание:",
                "{% if contract %}Договор № {{ contract.number }} от {{ contract.date }}"
                "{% else %}Счёт на оплату № {{ number }} от {{ date }}{% endif %}",
            ),
        ],
    )
    para(doc, "{%p set services = invoice_lines|selectattr('product.raw.kind', 'equalto', "
              "'service')|list %}")  # fmt: skip
    para(doc, "{%p set services_total = services|sum(attribute='raw.amount') %}")
    set_vat(doc, "services")
    columns = list(LINE_COLUMNS)
    columns[1] = ("Наименование работ, услуг", "{{ l.product.name }}", 8.2, None)
    lines_table(doc, "services", columns)
    totals(doc, "services_total")
    para(
        doc,
        "Всего оказано услуг {{ services|length }}, на сумму {{ services_total|number(2) }} руб.",
    )
    para(doc, "{{ amount_in_words(services_total) }}", bold=True)
    para(
        doc,
        "Вышеперечисленные услуги выполнены полностью и в срок. Заказчик претензий по "
        "объёму, качеству и срокам оказания услуг не имеет.",
        before=6,
        align=JUSTIFY,
    )
    rule(doc, size=16, before=4, after=10)
    two_party_signatures(doc, "ИСПОЛНИТЕЛЬ", "ЗАКАЗЧИК")
    return doc


def waybill() -> Any:
    """Товарная накладная: the goods of an invoice."""
    doc = new_document()
    letterhead(doc)
    title(doc, "Накладная № {{ number }} от {{ raw.date|date('long') }}")
    parties(
        doc,
        [
            ("Поставщик:", party("company")),
            ("Покупатель:", party("client")),
            (
                "Основание:",
                "{% if contract %}Договор № {{ contract.number }} от {{ contract.date }}"
                "{% else %}Счёт на оплату № {{ number }} от {{ date }}{% endif %}",
            ),
        ],
    )
    para(doc, "{%p set goods = invoice_lines|selectattr('product.raw.kind', 'equalto', "
              "'good')|list %}")  # fmt: skip
    para(doc, "{%p set goods_total = goods|sum(attribute='raw.amount') %}")
    set_vat(doc, "goods")
    columns = [
        ("№", "{{ loop.index }}", 0.9, CENTER),
        ("Артикул", "{{ l.product.sku }}", 2.2, None),
        ("Товар", "{{ l.product.name }}", 6.4, None),
        ("Ед.", "{{ l.product.unit }}", 1.1, CENTER),
        ("Кол-во", "{{ l.raw.quantity|number(3, trim=True) }}", 1.6, RIGHT),
        ("Цена", "{{ l.raw.unit_price|number(2) }}", 2.9, RIGHT),
        ("Сумма", "{{ l.raw.amount|number(2) }}", 2.9, RIGHT),
    ]
    lines_table(doc, "goods", columns)
    totals(doc, "goods_total")
    para(
        doc,
        "Всего наименований {{ goods|length }}, на сумму {{ goods_total|number(2) }} руб.",
    )
    para(doc, "{{ amount_in_words(goods_total) }}", bold=True)
    rule(doc, size=16, before=4, after=10)
    two_party_signatures(doc, "ОТПУСТИЛ", "ПОЛУЧИЛ")
    return doc


CONTRACT_TEXT = [
    ("1. ПРЕДМЕТ ДОГОВОРА", [
        "1.1. Исполнитель обязуется по заданию Заказчика выполнить поставку товаров и оказать "
        "услуги по предмету «{{ subject }}», а Заказчик обязуется принять и оплатить их на "
        "условиях настоящего договора.",
        "1.2. Наименование, количество и цена товаров и услуг указываются в счетах "
        "Исполнителя, которые являются неотъемлемой частью договора.",
    ]),
    ("2. СТОИМОСТЬ И ПОРЯДОК РАСЧЁТОВ", [
        "2.1. Общая стоимость договора составляет {{ raw.amount|number(2) }} руб. "
        "({{ amount_in_words(raw.amount) }}){% if company.raw.vat_default not in (None, 'none')"
        " %}, в том числе НДС {{ company.raw.vat_default }} %{% elif not company.raw.vat_default"
        " and company.raw.vat_rate %}, в том числе НДС {{ company.raw.vat_rate|number(2, "
        "trim=True) }} %{% else %}, НДС не облагается{% endif %}.",
        "2.2. Заказчик оплачивает счета Исполнителя в течение 10 (десяти) банковских дней с "
        "даты их выставления путём перечисления денежных средств на расчётный счёт "
        "Исполнителя.",
    ]),
    ("3. СРОК ДЕЙСТВИЯ ДОГОВОРА", [
        "3.1. Договор вступает в силу {{ raw.starts_on|date('«%d» %B %Y г.') }} и действует "
        "{% if raw.ends_on %}до {{ raw.ends_on|date('«%d» %B %Y г.') }}{% else %}до полного "
        "исполнения сторонами своих обязательств.{% endif %}",
    ]),
    ("4. ОТВЕТСТВЕННОСТЬ СТОРОН", [
        "4.1. За неисполнение или ненадлежащее исполнение обязательств стороны несут "
        "ответственность в соответствии с законодательством Российской Федерации.",
        "4.2. Споры разрешаются путём переговоров, а при недостижении согласия — в "
        "Арбитражном суде по месту нахождения Исполнителя.",
    ]),
    ("5. ПРОЧИЕ УСЛОВИЯ", [
        "5.1. Договор составлен в двух экземплярах, имеющих равную юридическую силу, по "
        "одному для каждой из сторон.",
        "5.2. Ответственный менеджер Исполнителя: {{ responsible.name }}.",
    ]),
]  # fmt: skip

#: The parties' details at the end of the contract: (label, company's, client's, bold).
DETAILS = [
    ("", "{{ company.full_name or company.name }}", "{{ client.name }}", True),
    ("ИНН", "{{ company.tax_id }} / КПП {{ company.kpp }}",
     "{{ client.tax_id }}{% if client.kpp %} / КПП {{ client.kpp }}{% endif %}", False),
    ("ОГРН", "{{ company.ogrn }}", "", False),
    ("Адрес", "{{ company.address }}", "{{ client.address }}", False),
    ("Р/с", "{{ company.bank_account }}", "{{ client.bank_account }}", False),
    ("Банк", "{{ company.bank_name }}", "{{ client.bank_name }}", False),
    ("БИК", "{{ company.bank_bik }}", "{{ client.bank_bik }}", False),
    ("К/с", "{{ company.corr_account }}", "{{ client.corr_account }}", False),
    ("Тел.", "{{ company.phone }}", "{{ client.phone or client.phone_mobile }}", False),
    ("E-mail", "{{ company.email }}", "{{ client.email }}", False),
]  # fmt: skip


def contract() -> Any:
    """Договор with both parties' details, and the invoices issued under it."""
    doc = new_document(size=10)
    para(doc, "ДОГОВОР № {{ number }}", bold=True, size=14, align=CENTER)
    para(doc, "на поставку товаров и оказание услуг", size=10, align=CENTER, after=8)
    t = table(doc, 1, [9.0, 9.0], borders=False)
    cell_text(t.cell(0, 0), "{% if company.city %}г. {{ company.city }}{% endif %}")
    cell_text(t.cell(0, 1), "{{ raw.date|date('«%d» %B %Y г.') }}", align=RIGHT)
    para(
        doc,
        "{{ company.full_name or company.name }}, именуемое в дальнейшем «Исполнитель», в лице "
        "генерального директора {{ company.director }}, действующего на основании Устава, с "
        "одной стороны, и {% if client.raw.kind == 'person' %}гражданин(ка) {{ client.name }}, "
        "именуемый(ая){% else %}{{ client.name }}, именуемое{% endif %} в дальнейшем "
        "«Заказчик», с другой стороны, заключили настоящий договор о нижеследующем:",
        align=JUSTIFY,
        before=8,
        after=6,
    )
    for heading, clauses in CONTRACT_TEXT:
        para(doc, heading, bold=True, align=CENTER, before=6, after=3)
        for clause in clauses:
            para(doc, clause, align=JUSTIFY, after=2)
    para(doc, "6. РЕКВИЗИТЫ И ПОДПИСИ СТОРОН", bold=True, align=CENTER, before=8, after=4)
    t = table(doc, 1 + len(DETAILS), [8.6, 0.8, 8.6])
    for c in range(3):
        for r in range(1 + len(DETAILS)):
            cell_borders(t.cell(r, c), top=None, bottom=None, left=None, right=None)
    cell_text(t.cell(0, 0), "ИСПОЛНИТЕЛЬ", bold=True)
    cell_text(t.cell(0, 2), "ЗАКАЗЧИК", bold=True)
    for i, (label, ours, theirs, bold) in enumerate(DETAILS, start=1):
        for col, text in ((0, ours), (2, theirs)):
            p = cell_text(t.cell(i, col))
            if label and text:
                run(p, f"{label}: ", color=GREY)
            run(p, text, bold=bold)
    para(doc, after=10)
    two_party_signatures(doc, "От Исполнителя", "От Заказчика")
    para(doc, "{%p if invoices %}")
    para(doc, "Приложение 1. Счета, выставленные по договору", bold=True, before=14, after=4)
    columns = [
        ("№", "{{ loop.index }}", 0.9, CENTER),
        ("Счёт", "{{ l.number }}", 4.1, None),
        ("Дата", "{{ l.date }}", 2.6, CENTER),
        ("Сумма", "{{ l.raw.total|number(2) }}", 3.4, RIGHT),
        ("Оплачено", "{{ l.raw.paid|number(2) }}", 3.4, RIGHT),
        (
            "Статус оплаты",
            "{% if l.raw.status == 'paid' %}оплачен{% elif l.raw.status == 'partly_paid' %}"
            "оплачен частично{% else %}не оплачен{% endif %}",
            3.6,
            None,
        ),
    ]
    lines_table(doc, "invoices", columns)
    para(doc, "{%p endif %}")
    return doc


def save(doc: Any, name: str) -> None:
    slim(doc)  # only the styles in use: every print parses them again
    TEMPLATES.mkdir(parents=True, exist_ok=True)
    target = TEMPLATES / name
    doc.save(target)
    print(f"wrote {target}")


def main() -> None:
    from make_price_list import main as price_list

    save(invoice(), "invoice.docx")
    save(act(), "act.docx")
    save(waybill(), "waybill.docx")
    save(contract(), "contract.docx")
    price_list()


if __name__ == "__main__":
    main()
