"""``registrum keygen``: a key pair for the ``dns`` and ``http`` logins, and what to publish."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from registrum.cli.login import Algorithm
from registrum.cli.output import fail, ok, say
from registrum.client import SigningKey, SigningKeyError, dns_txt_record, well_known_url
from registrum.core.identity import domain_problems


def keygen(
    out_file: Annotated[
        Path, typer.Option("--out", help="Where to write the private key (PEM, mode 0600).")
    ],
    algorithm: Annotated[
        Algorithm, typer.Option("--algorithm", help="The key's algorithm.")
    ] = Algorithm.ed25519,
    domain: Annotated[
        str | None,
        typer.Option("--domain", help="Your domain, to print its exact records."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the key file if it exists.")
    ] = False,
) -> None:
    """Make a key pair for `login dns` and `login http`, and print what to publish.

    Writes the private key (PEM, mode 0600) and prints the exact DNS TXT record and
    well-known file content that publish its public half.
    """
    if domain is not None:
        problems = domain_problems(domain)
        if problems:
            fail(problems[0].message)
    if out_file.exists() and not force:
        fail(f"{out_file} already exists: choose another --out, or add --force to replace it")
    key = SigningKey.generate(algorithm.value)
    try:
        key.write(out_file, overwrite=force)
    except SigningKeyError as exc:
        fail(str(exc))
    record = key.public_record()
    name = domain or "<your-domain>"
    ok(f"wrote the {key.algorithm} private key to {out_file} (mode 0600): keep it secret")
    say("")
    say("Public key record:")
    say(f"  {record}")
    say("")
    say(f"For `registrum login dns`, add this TXT record to {name}:")
    say(f"  {dns_txt_record(name, record)}")
    say("")
    say(f"For `registrum login http`, serve this text at {well_known_url(name)}:")
    say(f"  {record}")
    say("")
    say("Then log in with one of:")
    say(f"  registrum login dns --domain {name} --private-key-file {out_file}")
    say(f"  registrum login http --domain {name} --private-key-file {out_file}")
