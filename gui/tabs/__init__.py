"""The tabs of the main window, one module per tab (and the pages and worker jobs that only one tab uses)."""
