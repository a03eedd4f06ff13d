"""``demo``: the main job end to end on the embedded store, in a fresh folder."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import click
from rich import box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ledger.private_files import open_private, write_private
from service.app import main, note
from service.output import progress_bar, stderr, stdout

ARTEFACTS = ("lokikirja.db", "lokikirja.db-wal", "lokikirja.db-shm", "events.jsonl", "truth.jsonl", "report.html")


def _fresh(folder: Path) -> None:
    """A clean demo folder: the previous demo's own files are removed, nothing else is touched."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ARTEFACTS:
        (folder / name).unlink(missing_ok=True)
    if (folder / "keys").is_dir():
        shutil.rmtree(folder / "keys")


def _simulate(folder: Path, customers: int, days: int, seed: int) -> dict[str, int]:
    from simulation.config import Settings
    from simulation.run import simulate

    # synthetic, but HETUs and names all the same: 0600 like every file of personal data
    with open_private(folder / "events.jsonl") as events, open_private(folder / "truth.jsonl") as truth:
        summary = simulate(Settings(customers=customers, days=days, seed=seed), events, truth)
    return {"events": summary.events, "violations": summary.violations}


def _ranking(report: dict, width: int) -> Table:
    """The ranking; on a terminal under 100 columns without the volume columns, so it fits."""
    wide = width >= 100
    table = Table(title="AVI risk ranking (0–100, normalised by each area's volume)", box=box.SIMPLE_HEAD,
                  caption="DP data protection · ET equal treatment")
    columns = ["#", "area", "customers" if wide else "cust.", *(["views", "decisions"] if wide else []),
               "findings" if wide else "find.", "DP", "ET", "language" if wide else "lang", "overall"]
    for column in columns:
        area = column == "area"
        table.add_column(column, justify="left" if area else "right", no_wrap=True, overflow="ellipsis",
                         max_width=22 if area else None, min_width=None if area else len(column))
    for a in report["areas"][:12]:
        r = a["risk"]
        volume = [str(a["views"]), str(a["decisions"])] if wide else []
        table.add_row(str(a["rank"]), a["name"], str(a["customers"]), *volume, str(sum(a["findings"].values())),
                      f"{r['data_protection']:.1f}", f"{r['equal_treatment']:.1f}", f"{r['language']:.1f}",
                      f"[bold]{r['overall']:.1f}[/bold]")
    return table


def _top_findings(findings: list[dict]) -> Group:
    """The ten most serious recent findings, each on a line of its own with its explanation below
    (readable in any terminal width)."""
    order = {"high": 0, "medium": 1, "low": 2}
    chosen = sorted(findings, key=lambda f: (order[f["severity"]], f["at"]))
    chosen = sorted(chosen[:200], key=lambda f: (order[f["severity"]], -_epoch(f["at"])))[:10]
    lines: list[RenderableType] = [Text("Top findings (high severity first, latest first)", style="italic")]
    for i, f in enumerate(chosen, 1):
        who = " · ".join(x for x in (f["org"], f["user"], f["subject"]) if x)
        head = Text.assemble(f"{i:2}. {f['at'][:16].replace('T', ' ')}  ", (f["rule"], "bold"), f" ({f['severity']})")
        lines += [head, Padding(Text(who, style="dim"), (0, 0, 0, 4)), Padding(Text(f["explanation"]), (0, 0, 0, 4))]
    return Group(*lines)


def _epoch(at: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(at).timestamp()


def _agreement(findings: list[dict], truth_path: Path) -> tuple[int, int, int]:
    truth = {(row["event"], row["rule"]) for row in map(json.loads, truth_path.read_text().splitlines()) if row}
    found = {(f["event"], f["rule"]) for f in findings}
    return len(truth), len(truth & found), len(found - truth)


@main.command()
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("lokikirja-demo"),
              show_default=True, help="The demo's folder (its previous demo files are replaced).")
@click.option("--customers", type=int, default=1500, show_default=True, help="Simulated customers.")
@click.option("--days", type=int, default=60, show_default=True, help="Simulated days from 1.3.2021.")
@click.option("--seed", type=int, default=1, show_default=True, help="Simulation seed.")
@click.option("--db", "db_target", metavar="TARGET", default=None, hidden=True,
              help="Put the demo's ledger here instead of DIR/lokikirja.db (CONTRACT §6: every command takes "
                   "--db); its keys then follow --keys as for `init`. An existing ledger there is kept.")
@click.option("--keys", "keys_dir", metavar="DIR", default=None, hidden=True,
              help="With --db: the key folder (default: $LOKIKIRJA_KEYS, else ./lokikirja-keys/, else the folder "
                   "init recorded).")
def demo(folder: Path, customers: int, days: int, seed: int, db_target: str | None, keys_dir: str | None) -> None:
    """Simulate a small experiment, ingest, judge, seal, verify; print the AVI ranking and the top
    findings, and write the html supervision report.

    Example: lokikirja demo --dir /tmp/lokikirja-demo
    """
    from ledger.checkpoints import sign_checkpoint
    from ledger.ingest import ingest_stream
    from ledger.store import Ledger
    from projections import queries, supervision
    from replay.verify import verify
    from service.commands.supervise import render_html
    from service.pipeline import after_append

    began = time.perf_counter()
    _fresh(folder)
    with stdout.status("simulating the experiment…"):
        simulated = _simulate(folder, customers, days, seed)
    stdout.print(f"1. simulated {simulated['events']:,} events with {simulated['violations']} injected violations "
                 f"→ {folder / 'events.jsonl'}")
    if db_target is None:
        db, keys = str(folder / "lokikirja.db"), str(folder / "keys")
    else:  # a store named with --db, and its keys as `init --db` finds them
        db, keys = db_target, keys_dir
    opened, created = Ledger.init(db, keys)
    with opened as ledger:
        if db_target is not None:
            db, keys = ledger.target.display, ledger.meta()["keys_dir"]
        stdout.print(f"2. {'created' if created else 'opened'} the ledger {db} with keys in {keys}/ (0600)")
        source = folder / "events.jsonl"
        with source.open("rb") as stream, progress_bar("ingest", source.stat().st_size, bytes_mode=True) as step:
            report = ingest_stream(ledger, str(source), stream, on_bytes=step)
        after_append(ledger, report.ingested)
        stdout.print(f"3. ingested {report.ingested:,} facts: validated, personal data encrypted, judged by the Act "
                     "as of each moment, sealed into the Merkle log")
        checkpoint = sign_checkpoint(ledger)
        stdout.print(f"4. signed checkpoint: {checkpoint['tree_size']:,} events, root {checkpoint['root_hash'][:16]}…")
        result = verify(ledger)
        stdout.print(f"5. verify: {'OK' if result.ok else 'FAILED'} — {result.events:,} events recomputed against "
                     f"{result.checkpoints} signed checkpoint(s)")
        with ledger.db.read() as cur:
            ranking = supervision.area_report(ledger.db, cur, queries.Window())
            findings = queries.findings(ledger.db, cur)
        write_private(folder / "report.html", render_html(ranking, ledger.target.display))
    injected, caught, extra = _agreement(findings, folder / "truth.jsonl")
    stdout.print(f"6. findings: {len(findings):,}; the rules caught {caught} of {injected} injected violations"
                 + (f" and {extra} others" if extra else ""))
    stdout.print(_ranking(ranking, stdout.width))
    stdout.print(_top_findings(findings))
    stdout.print(f"Wrote the supervision report to {folder / 'report.html'} ({time.perf_counter() - began:.1f} s).")
    _next_steps(db, keys, findings)


def _next_steps(db: str, keys: str, findings: list[dict]) -> None:
    subject = next((f["subject"] for f in findings if f["subject"] and f["subject"].startswith("c:")), "c:…")
    where = f"--db {db} --keys {keys}"
    note("\nWhat to try next (each command on one line):")
    for command in (f"lokikirja access-log --subject {subject} --as u:dpo-1 --purpose 'demo' {where}",
                    f"lokikirja dossier {subject} --as u:appeals-1 --purpose 'demo' --format html --out dossier.html "
                    f"{where}",
                    f"lokikirja findings --rule ACCESS_OUTSIDE_OWN_CUSTOMERS --format json --db {db}"):
        stderr.print(f"  {command}", highlight=False, soft_wrap=True)
