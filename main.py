"""python main.py: open the NetLab window."""

import sys
import time

_T0 = time.perf_counter()

if __name__ == "__main__":
    import gui.app

    gui.app.START = _T0
    sys.exit(gui.app.main())
