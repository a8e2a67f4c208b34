import sys

from netlab.cli.entry import main

sys.exit(main())
