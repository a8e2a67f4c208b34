import sys

from netlab.cli import main

sys.exit(main())
