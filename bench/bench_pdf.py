"""PDF benchmark (issue 21 point 8): a cold LibreOffice per document against the resident one.

Run:  python bench/bench_pdf.py [--docs 200] [--cold-samples 3] [--db /tmp/bench_pdf.db]

It builds the bundled invoice of 20 lines in the sample CRM (as bench_print.py does),
renders it to .docx once through ``PrintForms`` and then converts it:

* per document, cold: ``soffice --convert-to pdf`` started for each document (the path
  before issue 21, kept as the fallback), median of ``--cold-samples``;
* per document, resident: the first conversion (it starts LibreOffice) and the median of
  20 warm ones;
* ``--docs`` invoices into one PDF: ``PrintForms.render_many(merge=True, pdf=True)`` (one
  merged .docx converted once) cold and resident, and ``output.to_one_pdf`` (each document
  converted by the resident LibreOffice, pages merged with pypdf);
* ``--docs`` invoices as the background print job (``printjob``, what the list and the bulk
  bar queue): the same per-document path plus the job's progress rows and stored file.
  ``--job-only`` runs only the "before" (one merged .docx, cold) and this case.

Wall-clock seconds on a shared machine; numbers go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).parent))
from bench_print import invoice

from uchet import SYSTEM, Platform
from uchet.printeditor import PrintForms, output, printjob, resident


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def pages(doc: output.Document) -> int:
    return len(PdfReader(io.BytesIO(doc.data)).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200, help="invoices merged into one PDF")
    parser.add_argument("--cold-samples", type=int, default=3)
    parser.add_argument(
        "--job-only", action="store_true", help="only the merged .docx cold, and the job"
    )
    parser.add_argument("--db", default=None, help="SQLite file (default: a temporary one)")
    args = parser.parse_args()
    command = output.soffice()
    if command is None:
        sys.exit("LibreOffice (soffice) is not installed")
    db = args.db or str(Path(tempfile.mkdtemp()) / "bench_pdf.db")
    platform = Platform.open("sample_crm", database_url=f"sqlite:///{db}")
    platform.migrate()
    record_id = invoice(platform)
    forms = PrintForms(platform, SYSTEM, isolate=False)
    docx = forms.render("invoice", record_id)
    print(f"Invoice of 20 lines, LibreOffice {command}, Python {sys.version.split()[0]}")
    print(f"UNO Python: {resident.uno_python()}\n")
    print("| case | seconds |")
    print("|---|---:|")

    if args.job_only:
        job_cases(platform, forms, record_id, args.docs)
        platform.close()
        return
    cold = [timed(lambda: output.cold_pdf(docx, "invoice"))[0] for _ in range(args.cold_samples)]
    print(f"| one document, cold LibreOffice (median of {len(cold)}) | "
          f"{statistics.median(cold):.2f} |")  # fmt: skip
    conv = resident.converter(command)
    first, _ = timed(lambda: output.to_pdf(docx, "invoice"))
    assert conv.starts == 1, "the resident converter did not start"
    print(f"| one document, resident: first (starts LibreOffice) | {first:.2f} |")
    warm = [timed(lambda: output.to_pdf(docx, "invoice"))[0] for _ in range(20)]
    print(f"| one document, resident: warm (median of 20) | {statistics.median(warm):.3f} |")

    ids = [record_id] * args.docs
    os.environ["UCHET_PDF_RESIDENT"] = "0"
    seconds, merged = timed(lambda: forms.render_many("invoice", ids, merge=True, pdf=True))
    print(f"| {args.docs} invoices, merged .docx, cold conversion ({pages(merged)} pages) | "
          f"{seconds:.1f} |")  # fmt: skip
    os.environ["UCHET_PDF_RESIDENT"] = "1"
    seconds, merged = timed(lambda: forms.render_many("invoice", ids, merge=True, pdf=True))
    print(f"| {args.docs} invoices, merged .docx, resident conversion ({pages(merged)} pages) | "
          f"{seconds:.1f} |")  # fmt: skip

    def each_then_merge() -> output.Document:
        documents = [forms.render("invoice", i) for i in ids]
        return output.to_one_pdf(documents, "invoices.pdf", "invoice")

    seconds, merged = timed(each_then_merge)
    print(f"| {args.docs} invoices, render + resident PDF each + pypdf merge "
          f"({pages(merged)} pages) | {seconds:.1f} |")  # fmt: skip
    conv.close()
    job_cases(platform, forms, record_id, args.docs)
    platform.close()


def job_cases(platform: Platform, forms: PrintForms, record_id: Any, docs: int) -> None:
    """Before: one merged .docx converted cold; after: the background print job."""
    ids = [record_id] * docs
    os.environ["UCHET_PDF_RESIDENT"] = "0"
    seconds, merged = timed(lambda: forms.render_many("invoice", ids, merge=True, pdf=True))
    print(f"| before: {docs} invoices, merged .docx, cold conversion ({pages(merged)} pages) | "
          f"{seconds:.1f} |")  # fmt: skip
    os.environ["UCHET_PDF_RESIDENT"] = "1"
    printjob.register(platform.jobs, platform)
    user = platform.users.create("bench_printer", "bench-password-1", name="Bench",
                                 roles=["main"])  # fmt: skip
    job = printjob.enqueue_print(platform.runtime, "invoice", user, ids, "pdf", "ru")
    seconds, _ = timed(platform.run_jobs)
    state = printjob.print_job(platform.runtime, job, user) or {}
    found = printjob.print_file(platform.runtime, int(state["file_id"]), user)
    count = pages(output.Document("x.pdf", bytes(found.data)))
    print(
        f"| after: {docs} invoices, background print job, resident PDF each + merge "
        f"({count} pages, skipped {state.get('skipped_count', 0)}) | {seconds:.1f} |"
    )


if __name__ == "__main__":
    main()
