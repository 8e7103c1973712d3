"""``omero labelcollections …``: the OMERO commands as a plugin of omero-py's ``omero`` command.

OMERO users reach tools through ``omero`` (``omero zarr``, ``omero metadata``…). This control
registers ``omero labelcollections push|pull|list|find|register-zarr|migrate|masks`` with the
same options as ``labelcollections omero …``, on the session of ``omero login`` (or the
login arguments ``-s``, ``-u``, ``-k`` the ``omero`` command takes), so users never type a
password again. The file ``omero/plugins/labelcollections.py`` registers it.
"""

from __future__ import annotations

import argparse
from typing import Any

import click
from omero.cli import BaseControl

from labelcollections.cli.omero import omero as omero_commands
from labelcollections.errors import LabelCollectionsError
from labelcollections.omero.blitz import BlitzOmeroGateway

__all__ = ["HELP", "VERBS", "LabelCollectionsControl"]

VERBS = {
    "push": "Push a repository image's collections onto an OMERO Image",
    "pull": "Copy the collections of an OMERO Image into a repository",
    "list": "Collections, label images, versions and provenance on an OMERO Image",
    "find": "Label images whose key-value pairs match every condition",
    "register-zarr": "Record the OME-Zarr an OMERO Image is published as",
    "migrate": "Rewrite BioHackathon-prototype collections in the labelcollections schema",
    "masks": "Convert a label image to Mask or Polygon ROIs, or such ROIs to a label image file",
}
HELP = """Label collections (label images with schema, provenance and versions) on OMERO.

The same commands and options as `labelcollections omero ...`, on the session of
`omero login`. `omero labelcollections VERB --help` shows a verb's options.

Examples:

    omero login
    omero labelcollections push ./repo nuclei_raw --image 51 --pixels zarr
    omero labelcollections list 51
    omero labelcollections pull 51 ./repo2
"""


class LabelCollectionsControl(BaseControl):  # type: ignore[misc]
    """The ``labelcollections`` control of the ``omero`` command."""

    def _configure(self, parser: Any) -> None:
        parser.add_login_arguments()
        verbs = parser.sub()
        for verb, text in VERBS.items():
            # Each verb's own arguments (and --help) go to the labelcollections command. No
            # prefix character a user types, so argparse takes options before the positional
            # arguments (``masks --shape polygon 51 …``, ``masks --help``) as arguments too.
            command = verbs.add_parser(
                verb, help=text, description=text, add_help=False, prefix_chars="\0"
            )
            command.add_argument("arguments", nargs=argparse.REMAINDER)
            command.set_defaults(func=self.run, verb=verb)

    def run(self, args: Any) -> None:
        """Run one verb on the session of ``omero login``."""
        gateway = BlitzOmeroGateway.from_client(self.ctx.conn(args))
        try:
            omero_commands.main(
                args=[args.verb, *args.arguments],
                prog_name="omero labelcollections",
                obj={"gateway": gateway},
                standalone_mode=False,
            )
        except click.ClickException as error:
            self.ctx.die(2, f"error: {error.format_message()}")
        except LabelCollectionsError as error:
            self.ctx.die(2, f"error: {error}")
        finally:
            gateway.close()
