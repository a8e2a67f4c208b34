"""The dialogs the main window opens: lessons, export, learning-rate finder."""
