"""Generate the sample CRM's price list template (``sample_crm/templates/price_list.xlsx``).

    python tools/make_price_list.py       (or tools/make_print_forms.py for every template)

The sheet prints a price list record with its items grouped by product category: an outer
``{% for g in ...|groupby('product.category.name') %}`` block gives each category a header
row and a subtotal row, the inner ``{% for i in g.list %}`` block the products. Subtotals are
Excel ``SUBTOTAL`` formulas over the inner block's row: the renderer stretches the range
over the rows printed for that category, and the grand total's ``SUBTOTAL`` skips the
subtotals inside its range, as Excel's own outline totals do. The .xlsx in the bundle is
the source of truth; this script only gives it its first layout.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

TARGET = Path(__file__).resolve().parent.parent / "src/uchet/sample_crm/templates/price_list.xlsx"

THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD = PatternFill("solid", fgColor="D9E2F3")
GROUP = PatternFill("solid", fgColor="EEF2F8")
MONEY = "#,##0.00"
ITEMS = (
    "price_list_items|selectattr('product.raw.active')|sort(attribute='product.name')"
    "|groupby('product.category.name', default='Без категории')"
)


def main() -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Прайс-лист"
    for col, width in zip("ABCDE", (6, 13, 52, 9, 15)):
        ws.column_dimensions[col].width = width

    def line(row: int, text: str, **font: object) -> None:
        ws.cell(row, 1, text).font = Font(name="Arial", **font)  # type: ignore[arg-type]
        ws.merge_cells(start_row=row, end_row=row, start_column=1, end_column=5)

    line(1, "{{ company.name }}", bold=True, size=13)
    line(
        2,
        "{{ company.address }}{% if company.phone %}, тел. {{ company.phone }}{% endif %}"
        "{% if company.email %}, {{ company.email }}{% endif %}",
        size=9,
        color="555555",
    )
    line(4, "Прайс-лист «{{ name }}»", bold=True, size=15)
    line(
        5,
        "{% if valid_from %}Действует с {{ valid_from }}. {% endif %}Цены указаны в рублях"
        "{% if company.raw.vat_default not in (None, 'none') %}, включая НДС "
        "{{ company.raw.vat_default }} %{% elif not company.raw.vat_default and "
        "company.raw.vat_rate %}, включая НДС {{ company.raw.vat_rate|number(2, trim=True) }}"
        " %{% else %}, НДС не облагается{% endif %}.",
        size=10,
    )
    ws.row_dimensions[4].height = 22

    for col, head in enumerate(("№", "Артикул", "Наименование", "Ед.", "Цена, руб."), start=1):
        c = ws.cell(7, col, head)
        c.font = Font(name="Arial", bold=True)
        c.fill, c.border = HEAD, BOX
        c.alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[7].height = 20

    ws["A8"] = f"{{% for g in {ITEMS} %}}"
    ws["A9"] = "{{ g.grouper }} ({{ g.list|length }} поз.)"
    ws["A9"].font = Font(name="Arial", bold=True, size=11)
    for col in range(1, 6):
        ws.cell(9, col).fill, ws.cell(9, col).border = GROUP, BOX
    ws.merge_cells("A9:E9")
    ws["A10"] = "{% for i in g.list %}"
    row = [
        ("{{ loop.index }}", "center", None),
        ("{{ i.product.sku }}", "left", None),
        ("{{ i.product.name }}", "left", None),
        ("{{ i.product.unit }}", "center", None),
        ("{{ i.raw.price }}", "right", MONEY),
    ]
    for col, (value, align, fmt) in enumerate(row, start=1):
        c = ws.cell(11, col, value)
        c.font, c.border = Font(name="Arial", size=10), BOX
        c.alignment = Alignment(horizontal=align, vertical="top", wrap_text=col == 3)
        if fmt:
            c.number_format = fmt
    ws["A12"] = "{% endfor %}"
    ws["C13"] = "Итого по разделу:"
    ws["D13"] = "=SUBTOTAL(2,E11:E11)"
    ws["E13"] = "=SUBTOTAL(9,E11:E11)"
    ws["A14"] = "{% endfor %}"
    ws["C16"] = "Всего в прайс-листе:"
    ws["D16"] = "=SUBTOTAL(2,E8:E14)"
    ws["E16"] = "=SUBTOTAL(9,E8:E14)"
    for r, size in ((13, 10), (16, 11)):
        ws.cell(r, 3).font = Font(name="Arial", italic=r == 13, bold=r == 16, size=size)
        ws.cell(r, 3).alignment = Alignment(horizontal="right")
        ws.cell(r, 4).number_format = '0 "поз."'
        ws.cell(r, 5).number_format = MONEY
        for col in (4, 5):
            ws.cell(r, col).font = Font(name="Arial", bold=True, size=size)
    ws["A18"] = "Дата печати: {{ today }}. Цены и наличие уточняйте у вашего менеджера."
    ws["A18"].font = Font(name="Arial", size=8, color="555555")

    ws.freeze_panes = "A8"
    ws.print_title_rows = "7:7"
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    wb.save(TARGET)
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
