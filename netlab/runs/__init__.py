"""The run folder: its file names, what a folder holds, the writer and readers, the lock and the catalog."""
