"""``python -m unicomp`` runs the command line."""

import sys

from unicomp.cli import main

sys.exit(main())
