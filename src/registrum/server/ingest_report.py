"""What an import or a mirror sync says of the documents it took in: how many broke which
rule of today's publish (they are kept all the same), and which items could not be stored."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.console import Console

# Refusals listed one by one; past this many, only their number.
SHOWN_REFUSALS = 50


def print_ingest_summary(
    console: Console, deviations: Counter[str], refused: Sequence[str] = ()
) -> None:
    if deviations:
        kept = "version(s) kept although today's publish rules would refuse them"
        console.print(f"deviations ({kept}), by rule:", highlight=False)
        for rule, count in sorted(deviations.items(), key=lambda item: (-item[1], item[0])):
            console.print(f"  {count:>7}  {rule}", highlight=False)
    for line in refused[:SHOWN_REFUSALS]:
        console.print(f"[yellow]refused[/yellow] {line}", highlight=False)
    if len(refused) > SHOWN_REFUSALS:
        console.print(f"... and {len(refused) - SHOWN_REFUSALS} more refused items")


def summary_line(deviations: Counter[str], refused: Sequence[str]) -> str:
    """One line for a log: the counts by rule and the number refused."""
    rules = ", ".join(f"{rule}: {n}" for rule, n in sorted(deviations.items()))
    return f"deviations {{{rules}}}, refused {len(refused)}"
