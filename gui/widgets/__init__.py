"""Widgets the tabs, dialogs and forms share: tables, plots, image grids, drop targets, menus."""
