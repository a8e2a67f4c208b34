"""``python -m gui``: open the NetLab window (as ``netlab-gui`` does)."""

import sys

from gui.app import main

if __name__ == "__main__":
    sys.exit(main())
